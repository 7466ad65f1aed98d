/**
 * The runtime end-to-end program (library-e2e.mjs: both mechanisms against
 * the emulators, through the package's entry points, with an AWS SDK v3
 * call), as CI also runs it on Node 26, Bun and Deno.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

test("library-e2e.mjs passes every step on this Node", () => {
  const out = execFileSync(process.execPath, [join(import.meta.dirname, "library-e2e.mjs")], {
    encoding: "utf8",
    env: { ...process.env, CERTCREDS_E2E_SDK: "1" },
  });
  assert.doesNotMatch(out, /^not ok/m);
  const passed = Number(/^# (\d+) steps passed/m.exec(out)?.[1]);
  assert.ok(passed >= 10, out);
});
