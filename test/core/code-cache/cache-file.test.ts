/**
 * The code cache file is code that runs in the next process: each check that
 * keeps another user's or a damaged file out has a case here, on real files.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { codeCacheFileName, MAX_CODE_CACHE_BYTES, prepareCodeCacheDirectory, readCodeCache, writeCodeCache } from "../../../src/core/code-cache/cache-file.js";

const digest = (text: string) => createHash("sha256").update(text).digest();
const SOURCE = digest("the library script");
const PAYLOAD = Buffer.from("V8 data ".repeat(1000));
const CACHE = { payload: PAYLOAD, mechanisms: ["IAM Roles Anywhere", "AWS IoT credential provider"] };
const asRoot = process.getuid?.() === 0;

function directory(): string {
  return join(mkdtempSync(join(tmpdir(), "certcreds-code-cache-test-")), "code");
}

function written(): { dir: string; file: string } {
  const dir = directory();
  writeCodeCache(dir, SOURCE, CACHE);
  return { dir, file: join(dir, codeCacheFileName(SOURCE)) };
}

test("a written cache reads back as the same data and mechanisms, from a 0600 file in a 0700 directory, no temporary file left", () => {
  const { dir, file } = written();
  assert.deepEqual(readCodeCache(dir, SOURCE), CACHE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dir), [codeCacheFileName(SOURCE)]);
});

test("the file names the Node version, the architecture, the script's digest and the process's flags", () => {
  assert.match(
    codeCacheFileName(SOURCE),
    new RegExp(`^certcreds-${process.version.replace(/\./g, "\\.")}-${process.arch}-${SOURCE.toString("hex").slice(0, 16)}-[0-9a-f]{8}\\.v8$`),
  );
  // V8 refuses a cache made under other flags: a process with other flags has a file of its own.
  const module = pathToFileURL(join(import.meta.dirname, "..", "..", "..", "src", "core", "code-cache", "cache-file.ts")).href;
  const script = `import { codeCacheFileName } from ${JSON.stringify(module)}; process.stdout.write(codeCacheFileName(Buffer.alloc(32)));`;
  const nameWith = (flags: string[], nodeOptions = "") =>
    execFileSync(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: nodeOptions },
    });
  const plain = nameWith([]);
  assert.equal(nameWith([]), plain);
  assert.notEqual(nameWith(["--predictable"]), plain);
  assert.notEqual(nameWith([], "--max-old-space-size=200"), plain);
});

test("lengths in the header are checked even when its digest matches: a list of names running past the file", () => {
  const { dir, file } = written();
  const bytes = readFileSync(file);
  const digestsEnd = "certcreds V8 code cache\n".length + 4 + 32 + 32;
  // Writes a length of names and a digest that matches it, as a writer of this format would.
  const withNamesLength = (length: number) => {
    bytes.writeUInt16BE(length, digestsEnd);
    createHash("sha256")
      .update(bytes.subarray(digestsEnd))
      .digest()
      .copy(bytes, digestsEnd - 32);
    writeFileSync(file, bytes, { mode: 0o600 });
  };
  withNamesLength(0xffff);
  assert.equal(readCodeCache(dir, SOURCE), undefined);
  // The same file with its real length reads again: only the length and its digest were changed above.
  withNamesLength(Buffer.byteLength(CACHE.mechanisms.join("\n")));
  assert.deepEqual(readCodeCache(dir, SOURCE), CACHE);
});

test("a cache of the earlier format (no list of mechanisms) is not used", () => {
  const { dir, file } = written();
  const bytes = readFileSync(file);
  bytes.writeUInt32BE(1, "certcreds V8 code cache\n".length);
  writeFileSync(file, bytes, { mode: 0o600 });
  assert.equal(readCodeCache(dir, SOURCE), undefined);
});

test("a cache made for another script is not used, even under the expected name", () => {
  const { dir, file } = written();
  const other = digest("another version of the script");
  writeFileSync(join(dir, codeCacheFileName(other)), readFileSync(file), { mode: 0o600 });
  assert.equal(readCodeCache(dir, other), undefined);
});

test("a damaged cache is not used: one byte of V8's data changed, the file cut short, a foreign header", () => {
  for (const damage of [
    (bytes: Buffer) => {
      bytes[bytes.length - 10]! ^= 0x01;
      return bytes;
    },
    (bytes: Buffer) => bytes.subarray(0, bytes.length - 1),
    (bytes: Buffer) => bytes.subarray(0, 40),
    (bytes: Buffer) => Buffer.concat([Buffer.from("not a certcreds cache\n"), bytes.subarray(22)]),
    // The list of mechanisms is covered by the digest too: a changed name would keep a cache from being completed.
    (bytes: Buffer) => {
      bytes[bytes.indexOf("Roles")]! ^= 0x20;
      return bytes;
    },
  ]) {
    const { dir, file } = written();
    writeFileSync(file, damage(readFileSync(file)), { mode: 0o600 });
    assert.equal(readCodeCache(dir, SOURCE), undefined);
  }
});

test("a cache another user could have written is not used: group- or world-writable", () => {
  for (const mode of [0o620, 0o602, 0o666]) {
    const { dir, file } = written();
    chmodSync(file, mode);
    assert.equal(readCodeCache(dir, SOURCE), undefined, mode.toString(8));
  }
});

test("a cache owned by another user is not used", { skip: !asRoot && "needs root to give a file away" }, () => {
  const { dir, file } = written();
  chownSync(file, 65534, 65534);
  assert.equal(readCodeCache(dir, SOURCE), undefined);
});

test("a symbolic link in place of the cache is not followed, and writing replaces the link, not its target", () => {
  const { dir, file } = written();
  const elsewhere = join(dir, "..", "elsewhere.v8");
  writeFileSync(elsewhere, readFileSync(file), { mode: 0o600 });
  const before = readFileSync(elsewhere);
  const linked = join(dir, codeCacheFileName(digest("linked")));
  symlinkSync(elsewhere, linked);
  assert.equal(readCodeCache(dir, digest("linked")), undefined);
  writeCodeCache(dir, digest("linked"), CACHE);
  assert.ok(lstatSync(linked).isFile(), "the link was replaced by the cache file");
  assert.deepEqual(readCodeCache(dir, digest("linked")), CACHE);
  assert.deepEqual(readFileSync(elsewhere), before);
});

test("a FIFO in place of the cache is refused at once, not waited on", () => {
  const dir = directory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  execFileSync("mkfifo", ["-m", "600", join(dir, codeCacheFileName(SOURCE))]);
  assert.equal(readCodeCache(dir, SOURCE), undefined);
});

test("a file larger than any cache certcreds writes is refused before it is read", () => {
  const { dir, file } = written();
  truncateSync(file, MAX_CODE_CACHE_BYTES + 1024 * 1024);
  const started = performance.now();
  assert.equal(readCodeCache(dir, SOURCE), undefined);
  // A sparse file: reading it whole would allocate 17 MB of zeroes; the size check comes first.
  assert.ok(performance.now() - started < 1000);
});

test("no cache is written into a directory that is a link, or that others may write", () => {
  const target = directory();
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const link = join(target, "..", "link");
  symlinkSync(target, link);
  assert.equal(prepareCodeCacheDirectory(link), false);
  writeCodeCache(link, SOURCE, CACHE);
  assert.deepEqual(readdirSync(target), []);
  const open = directory();
  mkdirSync(open, { recursive: true });
  chmodSync(open, 0o777);
  assert.equal(prepareCodeCacheDirectory(open), false);
  writeCodeCache(open, SOURCE, CACHE);
  assert.deepEqual(readdirSync(open), []);
});

test("no cache is written into another user's directory", { skip: !asRoot && "needs root to give a directory away" }, () => {
  const dir = directory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, 65534, 65534);
  assert.equal(prepareCodeCacheDirectory(dir), false);
  writeCodeCache(dir, SOURCE, CACHE);
  assert.equal(existsSync(join(dir, codeCacheFileName(SOURCE))), false);
});

test("writing removes caches of other versions untouched for 30 days, and keeps recent ones", () => {
  const dir = directory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const old = join(dir, "certcreds-v20.0.0-x64-0000000000000000.v8");
  const recent = join(dir, "certcreds-v22.0.0-x64-1111111111111111.v8");
  const unrelated = join(dir, "notes.txt");
  for (const file of [old, recent, unrelated]) writeFileSync(file, "x");
  const longAgo = new Date(Date.now() - 31 * 86_400_000);
  utimesSync(old, longAgo, longAgo);
  utimesSync(unrelated, longAgo, longAgo);
  writeCodeCache(dir, SOURCE, CACHE);
  assert.deepEqual(readdirSync(dir).sort(), [codeCacheFileName(SOURCE), "certcreds-v22.0.0-x64-1111111111111111.v8", "notes.txt"].sort());
});
