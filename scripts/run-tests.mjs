// `npm test`: every test/**/*.test.ts under node:test. Node 20's --test takes files, not glob
// patterns (those arrive in Node 21), so the files are found here. Extra arguments
// (e.g. --test-name-pattern=…) go to node before the files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const files = testFiles("test").sort();
const args = ["--import", "tsx", "--test", "--test-concurrency=2", ...process.argv.slice(2), ...files];
// certcreds' code cache (src/core/code-cache/) in a directory of the run's own, not the user's ~/.cache:
// every process that imports the package shares it, as a user's processes do.
const codeCache = process.env.CERTCREDS_CODE_CACHE ? undefined : mkdtempSync(join(tmpdir(), "certcreds-code-cache-"));
const env = codeCache ? { ...process.env, CERTCREDS_CODE_CACHE: codeCache } : process.env;
const { status } = spawnSync(process.execPath, args, { stdio: "inherit", env });
if (codeCache) rmSync(codeCache, { recursive: true, force: true });
process.exitCode = status ?? 1;
