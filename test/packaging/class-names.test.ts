/**
 * The bundled library is built without esbuild's keepNames (its __name()
 * call for every function cost start-up time): a class is then named after
 * the binding it is bundled as. error.name, and the class name a session
 * shows when inspected, are what users see and match on: every class the
 * package exports keeps its exported name, in dist/ as users load it: the
 * ES modules and Node's entry (the same library as one script).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const DIST = join(import.meta.dirname, "..", "..", "dist");

for (const entry of ["index.js", "node/index.js"]) {
  test(`every exported class of dist/${entry} is named as exported, and so are its errors`, async () => {
    const api = (await import(pathToFileURL(join(DIST, entry)).href)) as Record<string, unknown>;
    const classes = Object.entries(api).filter(([, value]) => typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value)));
    assert.ok(classes.length >= 20, `only ${classes.length} classes exported: ${classes.map(([name]) => name).join(", ")}`);
    for (const [name, value] of classes) assert.equal((value as { name: string }).name, name);
    const errors = classes.filter(([, value]) => (value as { prototype: unknown }).prototype instanceof Error);
    assert.ok(errors.length >= 15, `only ${errors.length} error classes`);
    for (const [name, value] of errors) {
      // Two strings suit every error class's constructor: (message, …), (code, message), (input, message), (kind, option, …).
      const error = new (value as new (...args: string[]) => Error)("kind", "option");
      assert.equal(error.name, name);
    }
  });
}
