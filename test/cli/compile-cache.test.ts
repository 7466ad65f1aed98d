/**
 * The CLI's own process keeps Node's compile cache in certcreds' code cache
 * directory (src/cli/compile-cache.ts), and only in a directory of this user
 * alone: Node runs the code it finds there without asking who wrote it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { before, test } from "node:test";
import { eagerFunctions } from "../../scripts/eager-functions.mjs";
import { BIN, ROOT, requireBuild } from "../helpers/cli.js";

before(() => requireBuild());

/** `certcreds --version` (the launcher, then the CLI bundle), with Node's compile cache reporting on standard error. */
function version(codeCache: string, args: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const env = { PATH: process.env.PATH, CERTCREDS_CODE_CACHE: codeCache, NODE_DEBUG_NATIVE: "COMPILE_CACHE" };
  const result = spawnSync(process.execPath, [BIN, "--version", ...args], { env, encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function directory(): string {
  return join(mkdtempSync(join(tmpdir(), "certcreds-cli-compile-cache-")), "code");
}

/** Node's own subdirectories of a code cache directory (one per Node version, architecture and flags). */
function nodeCaches(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(`v${process.versions.node}-`)) : [];
}

test("a CLI run leaves Node's compile cache in certcreds' code cache directory, and the next run's launcher is compiled from it", () => {
  const dir = directory();
  const first = version(dir);
  assert.equal(first.code, 0, first.stderr);
  const [cache] = nodeCaches(dir);
  assert.ok(cache, `no compile cache in ${dir}: ${readdirSync(dir).join(", ")}`);
  assert.ok(readdirSync(join(dir, cache)).length >= 2, "the launcher and the CLI bundle are both kept");
  const second = version(dir);
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stderr, /launcher\.cjs was accepted/);
});

test("CERTCREDS_CODE_CACHE=off: Node's compile cache stays off", () => {
  const result = version("off");
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /\[compile cache\]/);
});

test("a relative CERTCREDS_CODE_CACHE: one warning naming it and the fix, as text or JSON, and the command runs", () => {
  const text = version("relative/dir");
  assert.equal(text.code, 0, text.stderr);
  const warnings = text.stderr.split("\n").filter((line) => line.includes("CERTCREDS_CODE_CACHE"));
  assert.deepEqual(warnings, [
    'certcreds warning: CERTCREDS_CODE_CACHE=relative/dir is neither an absolute directory nor "off": certcreds\' code cache is not used. Set an absolute path, or off.',
  ]);
  assert.doesNotMatch(text.stderr, /\[compile cache\]/);
  const json = version("relative/dir", ["--log-format", "json"]);
  const line = JSON.parse(json.stderr.split("\n").find((l) => l.startsWith("{"))!) as Record<string, unknown>;
  assert.equal(line.level, "warn");
  assert.equal(line.event, "code-cache-invalid");
  assert.equal(line.variable, "CERTCREDS_CODE_CACHE");
});

test("a directory others may write, or a link in its place, is not given to Node", () => {
  const open = directory();
  mkdirSync(open, { recursive: true });
  chmodSync(open, 0o777);
  const result = version(open);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /\[compile cache\]/);
  assert.deepEqual(readdirSync(open), []);
  const target = directory();
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const link = join(target, "..", "link");
  symlinkSync(target, link);
  assert.doesNotMatch(version(link).stderr, /\[compile cache\]/);
  assert.deepEqual(readdirSync(target), []);
});

test("another user's directory is not given to Node", { skip: process.getuid?.() !== 0 && "needs root to give a directory away" }, () => {
  const dir = directory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, 65534, 65534);
  assert.doesNotMatch(version(dir).stderr, /\[compile cache\]/);
  assert.deepEqual(readdirSync(dir), []);
});

test("eagerFunctions: every top-level function becomes an eagerly compiled expression, with hoisting kept", () => {
  const code = [
    '"use strict";',
    "const early = double(2) + later();",
    "function double(x) {",
    "  return x * 2;",
    "}",
    "async function fetchLater() {",
    "  return 1;",
    "}",
    "function* count() {",
    "  yield 1;",
    "}",
    "function later() {",
    "  return [...count()].length + (fetchLater() instanceof Promise ? 10 : 0);",
    "}",
    "globalThis.result = early;",
  ].join("\n");
  const eager = eagerFunctions(code);
  assert.match(eager, /^"use strict";\n/);
  assert.doesNotMatch(eager, /^(async )?function\b/m);
  for (const name of ["double", "fetchLater", "count", "later"]) assert.match(eager, new RegExp(`^var ${name} = \\((async )?function\\*? ?${name}\\(`, "m"));
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  runInNewContext(code, before);
  runInNewContext(eager, after);
  assert.equal(after.result, before.result);
  assert.equal(after.result, 15);
});

test("the built launcher has no lazily compiled top-level function left", () => {
  const launcher = readFileSync(join(ROOT, "dist", "cli", "launcher.cjs"), "utf8");
  assert.doesNotMatch(launcher, /^(async )?function\b/m);
  assert.match(launcher, /^var tryWarmCredentialProcess = \(function tryWarmCredentialProcess\(/m);
});
