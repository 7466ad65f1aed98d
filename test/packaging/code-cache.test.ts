/**
 * Node's entry of the package (src/core/code-cache/load-library.ts), in
 * fresh processes against the Roles Anywhere emulator: the first process
 * compiles the library script and leaves V8's code for it in the cache
 * directory, the next ones compile from it; off, unusable or damaged, the
 * cache is not used and the library works the same.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { createRolesAnywhereFixture, type RolesAnywhereFixture } from "../helpers/cli.js";
import { createDevicePki, createServerPki, ROLE_ALIAS, startEmulatorFor, THING } from "../helpers/iot-fixture.js";

const exec = promisify(execFile);
const CHILD = join(import.meta.dirname, "code-cache-child.mjs");
const IOT_CHILD = join(import.meta.dirname, "code-cache-iot-child.mjs");
let fixture: RolesAnywhereFixture;
let work: string;

before(async () => {
  fixture = await createRolesAnywhereFixture();
  work = fixture.dir;
});
after(() => fixture.close());

interface ChildReport {
  status: { mode: string; directory?: string; rejected?: boolean };
  sameFromRequire: boolean;
  configurationError: { instance: boolean; name: string };
  fetchError: { instance: boolean; name: string };
  credentials: boolean;
}

async function child(codeCache: string, nodeFlags: string[] = []): Promise<ChildReport & { stderr: string }> {
  const env = { ...process.env, CHILD_INIT: JSON.stringify(fixture.init), CERTCREDS_CODE_CACHE: codeCache };
  const { stdout, stderr } = await exec(process.execPath, [...nodeFlags, CHILD], { env, encoding: "utf8", timeout: 30_000 });
  const report = JSON.parse(stdout) as ChildReport;
  // Whatever the loading, the library is whole: credentials, its classes, one copy for import and require.
  assert.equal(report.credentials, true);
  assert.deepEqual(report.configurationError, { instance: true, name: "ConfigurationError" });
  assert.deepEqual(report.fetchError, { instance: true, name: "InputReadError" });
  assert.equal(report.sameFromRequire, true);
  return { ...report, stderr };
}

function cacheFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".v8"));
}

test("the first process compiles the library and leaves its code cache; the next ones compile from it and leave it as it is", async () => {
  const dir = join(work, "cache-a");
  const first = await child(dir);
  assert.deepEqual(first.status, { mode: "compiled", directory: dir });
  const [file] = cacheFiles(dir);
  assert.ok(file, "a cache file after the first credentials");
  const written = readFileSync(join(dir, file));
  const mtime = statSync(join(dir, file)).mtimeMs;
  for (let i = 0; i < 2; i++) assert.deepEqual((await child(dir)).status, { mode: "cached", directory: dir });
  assert.deepEqual(readFileSync(join(dir, file)), written);
  assert.equal(statSync(join(dir, file)).mtimeMs, mtime);
});

test("CERTCREDS_CODE_CACHE=off: the ES modules are loaded and nothing is written", async () => {
  const report = await child("off");
  assert.deepEqual(report.status, { mode: "modules" });
  assert.equal(report.stderr, "");
});

test("under a loader hook that handles require() itself (tsx, source maps on): the ES modules, one copy of every class", async () => {
  for (const codeCache of ["off", join(work, "cache-tsx")]) assert.deepEqual((await child(codeCache, ["--import", "tsx"])).status, { mode: "modules" });
});

test("a relative CERTCREDS_CODE_CACHE: one warning naming it and the fix, then the ES modules", async () => {
  const report = await child("relative/dir");
  assert.deepEqual(report.status, { mode: "modules" });
  assert.match(report.stderr, /CERTCREDS_CODE_CACHE=relative\/dir is neither an absolute directory nor "off".*Set an absolute path, or off\./);
});

test("with --enable-source-maps the ES modules are loaded, so stack traces name certcreds' sources", async () => {
  const dir = join(work, "cache-maps");
  assert.deepEqual((await child(dir, ["--enable-source-maps"])).status, { mode: "modules" });
  assert.deepEqual(cacheFiles(join(dir, "..")).length, 0);
});

test("a damaged cache is compiled around and written again", async () => {
  const dir = join(work, "cache-b");
  await child(dir);
  const [file] = cacheFiles(dir);
  const path = join(dir, file!);
  const bytes = readFileSync(path);
  bytes[bytes.length - 100]! ^= 0xff;
  writeFileSync(path, bytes, { mode: 0o600 });
  assert.deepEqual((await child(dir)).status, { mode: "compiled", directory: dir });
  assert.deepEqual((await child(dir)).status, { mode: "cached", directory: dir });
});

test("a cache directory this user may not keep code in (another user's): the ES modules, nothing written there", {
  skip: process.getuid?.() !== 0 && "needs root",
}, async () => {
  const dir = join(work, "cache-c");
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, 65534, 65534);
  assert.deepEqual((await child(dir)).status, { mode: "modules" });
  assert.deepEqual(readdirSync(dir), []);
});

/** The mechanisms a cache file says its code covers (format 2: the names after the two digests). */
function mechanismsOf(file: string): string[] {
  const bytes = readFileSync(file);
  const at = "certcreds V8 code cache\n".length + 4 + 32 + 32;
  return bytes.toString("utf8", at + 2, at + 2 + bytes.readUInt16BE(at)).split("\n");
}

test("a process whose mechanism the cache does not cover compiles its code, then completes the cache once; later processes of either leave it", async () => {
  const server = await createServerPki();
  const device = await createDevicePki();
  const iot = await startEmulatorFor(server, device);
  try {
    const iotInit = {
      endpoint: iot.url,
      roleAlias: ROLE_ALIAS,
      thingName: THING,
      certificate: device.thing.certificatePem,
      privateKey: device.thing.privateKeyPem,
      ca: server.ca.certificatePem,
    };
    const iotChild = async () => {
      const env = { ...process.env, CHILD_IOT_INIT: JSON.stringify(iotInit), CERTCREDS_CODE_CACHE: dir };
      const report = JSON.parse((await exec(process.execPath, [IOT_CHILD], { env, encoding: "utf8", timeout: 30_000 })).stdout) as ChildReport;
      assert.equal(report.credentials, true);
      return report.status;
    };
    const dir = join(work, "cache-both");
    await child(dir);
    const [name] = cacheFiles(dir);
    const file = join(dir, name!);
    assert.deepEqual(mechanismsOf(file), ["IAM Roles Anywhere"]);
    const madeByRolesAnywhere = readFileSync(file);
    // The IoT process runs from the Roles Anywhere cache, compiles the IoT code itself and writes both.
    assert.deepEqual(await iotChild(), { mode: "cached", directory: dir });
    assert.deepEqual(mechanismsOf(file), ["IAM Roles Anywhere", "AWS IoT credential provider"]);
    assert.ok(readFileSync(file).length > madeByRolesAnywhere.length, "the completed cache holds more code");
    const complete = readFileSync(file);
    assert.deepEqual(await iotChild(), { mode: "cached", directory: dir });
    assert.deepEqual((await child(dir)).status, { mode: "cached", directory: dir });
    assert.deepEqual(readFileSync(file), complete);
  } finally {
    await iot.close();
  }
});
