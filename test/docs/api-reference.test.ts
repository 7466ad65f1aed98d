/**
 * `npm run docs` — the API reference, generated from the TSDoc with typedoc
 * and typedoc-plugin-markdown (typedoc.json) — succeeds with no warning: no
 * public export without documentation, no type referenced but not exported,
 * no broken {@link}. Generated into a temporary directory here; docs/api/ is
 * git-ignored and made at CI time (or locally) with `npm run docs`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers/cli.js";
import { run } from "./run-blocks.js";

test("npm run docs: the API reference builds from the TSDoc without a warning", async () => {
  const out = await mkdtemp(join(tmpdir(), "certcreds-api-"));
  try {
    const typedoc = join(ROOT, "node_modules", "typedoc", "bin", "typedoc");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: out, NO_COLOR: "1" };
    const result = await run(process.execPath, [typedoc, "--out", out], { cwd: ROOT, env, timeoutMs: 180_000 });
    const output = `${result.stdout}${result.stderr}`;
    assert.doesNotMatch(output, /\[warning\]|\[error\]/, output);
    assert.equal(result.code, 0, output);
    // Both entry points, and the exports a reader looks for first.
    for (const page of [
      "certcreds/functions/fromRolesAnywhere.md",
      "certcreds/classes/IotCredentialSession.md",
      "certcreds/testing/functions/startRolesAnywhereEmulator.md",
    ]) {
      assert.ok(existsSync(join(out, page)), `${page} is missing from the API reference`);
    }
    assert.match(readFileSync(join(out, "certcreds/classes/KeyMismatchError.md"), "utf8"), /does not belong to the certificate/);
    const script = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.docs;
    assert.equal(script, "typedoc", "npm run docs runs typedoc with typedoc.json");
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
