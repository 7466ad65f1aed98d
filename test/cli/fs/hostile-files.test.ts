/**
 * Files on the CLI's paths that another user, a crash or a mistake can leave
 * behind: FIFOs, links, loose directories, empty lock files, locks naming a
 * process that is not their owner, devices given as files.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readCacheEntry } from "../../../src/cli/fs/cache-read.js";
import { acquireFileLock, breakStaleLock, tryLock } from "../../../src/cli/fs/file-lock.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-files-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENTRY = JSON.stringify({
  v: 1,
  obtainedAt: Date.now(),
  credentials: {
    Version: 1,
    AccessKeyId: "ASIAEXAMPLE000000001",
    SecretAccessKey: "secret/for+test",
    SessionToken: "token",
    Expiration: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
  },
});

async function privateDir(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { mode: 0o700 });
  await chmod(path, 0o700);
  return path;
}

describe("the credential_process cache, warm path", () => {
  test("a regular 0600 entry in a 0700 directory is read", async () => {
    const cache = await privateDir("good");
    await writeFile(join(cache, "k.json"), ENTRY, { mode: 0o600 });
    assert.equal(readCacheEntry(join(cache, "k.json"))?.credentials.AccessKeyId, "ASIAEXAMPLE000000001");
  });

  test("a FIFO planted as the entry is passed over at once (it hung the warm path)", { timeout: 5_000 }, async () => {
    const cache = await privateDir("fifo");
    execFileSync("mkfifo", ["-m", "600", join(cache, "k.json")]);
    assert.equal(readCacheEntry(join(cache, "k.json")), undefined);
  });

  test("an entry that is a symbolic link (to another configuration's entry) is not followed", async () => {
    const cache = await privateDir("link");
    await writeFile(join(cache, "other.json"), ENTRY, { mode: 0o600 });
    await symlink(join(cache, "other.json"), join(cache, "k.json"));
    assert.equal(readCacheEntry(join(cache, "k.json")), undefined);
  });

  test("a directory that others can write or read is not trusted, even with a good entry", async () => {
    for (const mode of [0o777, 0o770, 0o755]) {
      const cache = await privateDir(`loose-${mode.toString(8)}`);
      await writeFile(join(cache, "k.json"), ENTRY, { mode: 0o600 });
      await chmod(cache, mode);
      assert.equal(readCacheEntry(join(cache, "k.json")), undefined, `directory mode ${mode.toString(8)}`);
    }
  });

  test("an entry whose fields could smuggle lines is absent", async () => {
    const cache = await privateDir("fields");
    const entry = JSON.parse(ENTRY);
    entry.credentials.AccessKeyId = "ASIAEXAMPLE000000001\n[x]";
    await writeFile(join(cache, "k.json"), JSON.stringify(entry), { mode: 0o600 });
    assert.equal(readCacheEntry(join(cache, "k.json")), undefined);
  });
});

describe("lock files", () => {
  test("an empty lock (holder died between create and write) is stale after a few seconds, not after the full limit", async () => {
    const lock = join(dir, "empty.lock");
    await writeFile(lock, "");
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    await utimes(lock, tenSecondsAgo, tenSecondsAgo);
    assert.equal(breakStaleLock(lock, 60_000), true);
    await writeFile(lock, "not json");
    assert.equal(breakStaleLock(lock, 60_000), false, "a fresh unwritten lock may still be being written");
  });

  test("a lock naming a live process that is not its owner (PID reuse) is stale", async () => {
    const lock = join(dir, "reused.lock");
    // pid 1 is alive, but it did not start at the recorded time.
    await writeFile(lock, JSON.stringify({ pid: 1, host: hostname(), at: Date.now(), start: "1", boot: readBootId() }));
    assert.equal(breakStaleLock(lock, 60_000), true);
    const other = join(dir, "rebooted.lock");
    await writeFile(other, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now(), boot: "00000000-0000-0000-0000-000000000000" }));
    assert.equal(breakStaleLock(other, 60_000), true, "a lock from another boot is stale");
  });

  test("a lock held by this very process (same pid, same start) is not stale", async () => {
    const lock = join(dir, "mine.lock");
    const held = tryLock(lock)!;
    try {
      assert.equal(breakStaleLock(lock, 60_000), false);
    } finally {
      held.release();
    }
  });

  test("a FIFO at the lock path is no lock: broken at once, and the waiter gets the lock", { timeout: 5_000 }, async () => {
    const lock = join(dir, "fifo.lock");
    execFileSync("mkfifo", [lock]);
    const outcome = await acquireFileLock(lock, { timeoutMs: 2_000 });
    assert.ok("lock" in outcome);
    outcome.lock.release();
  });

  test("a waiter outlasts the staleness limit: a stuck lock is broken, not waited past", async () => {
    const lock = join(dir, "stuck.lock");
    const held = tryLock(lock)!;
    const started = Date.now();
    const outcome = await acquireFileLock(lock, { staleMs: 300 });
    assert.ok("lock" in outcome, "acquired once stale");
    assert.ok(Date.now() - started >= 250);
    outcome.lock.release();
    held.release();
  });
});

function readBootId(): string | undefined {
  try {
    return execFileSync("cat", ["/proc/sys/kernel/random/boot_id"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

describe("the CLI with devices and FIFOs where files belong", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
  });
  after(async () => {
    await f.close();
  });

  test("credential-process --certificate /dev/zero: exit 3 at once (the cache key's read hung)", async () => {
    const args = f.args.map((arg) => (arg === f.certFile ? "/dev/zero" : arg));
    const result = await runCli(["credential-process", ...args], { env: f.env, timeoutMs: 15_000 });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /certificate file \/dev\/zero is not a regular file/);
  });

  test("update on a FIFO credentials file: exit 3 with the reason, no hang, the lock released", async () => {
    const fifo = join(f.dir, "credentials-fifo");
    execFileSync("mkfifo", ["-m", "600", fifo]);
    const result = await runCli(["update", "--once", ...f.args], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: fifo }, timeoutMs: 15_000 });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /is not a regular file/);
    await assert.rejects(readFile(`${fifo}.lock`), { code: "ENOENT" });
  });
});
