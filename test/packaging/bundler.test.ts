/**
 * A bundler takes the package's ES modules (its `module` export condition),
 * not Node's entry, which reads the library script and its code cache from
 * the package directory at run time: an application bundled with esbuild
 * runs with no node_modules beside it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { build } from "esbuild";
import { createRolesAnywhereFixture, type RolesAnywhereFixture } from "../helpers/cli.js";

const exec = promisify(execFile);
let fixture: RolesAnywhereFixture;

before(async () => {
  fixture = await createRolesAnywhereFixture();
});
after(() => fixture.close());

test("esbuild bundles the ES modules; the bundle gets credentials on its own, without the code cache", async () => {
  const outfile = join(fixture.dir, "app.mjs");
  const result = await build({
    entryPoints: [join(import.meta.dirname, "bundled-app.mjs")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "silent",
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes("dist/index.js"), inputs.join(", "));
  assert.ok(!inputs.some((input) => input.startsWith("dist/node/")), inputs.join(", "));
  assert.doesNotMatch(readFileSync(outfile, "utf8"), /certcreds V8 code cache/);
  const env = { PATH: process.env.PATH ?? "", CHILD_INIT: JSON.stringify(fixture.init) };
  const { stdout } = await exec(process.execPath, [outfile], { cwd: fixture.dir, env, encoding: "utf8", timeout: 30_000 });
  assert.deepEqual(JSON.parse(stdout), { credentials: true, codeCache: null });
});
