import { randomBytes } from "node:crypto";
import { closeSync, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { readRegularFileSync } from "../../core/fs/read-regular-file.js";

/** A held lock file; release it exactly once. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

export interface LockOptions {
  /** A lock older than this is stale whatever its owner (default 60 s: longer than a fetch with its retries, ~35 s). */
  staleMs?: number;
  /** Give up waiting after this long (default: the staleness limit and 10 s, so a waiter outlasts a stuck lock and breaks it). */
  timeoutMs?: number;
  /** Pause between attempts (default 15–40 ms, jittered). */
  pollMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  at: number;
  /** The owner's start time (clock ticks since boot, /proc/<pid>/stat): a live process with the pid but another start is not the owner. */
  start?: string;
  /** The boot the lock was taken in (/proc/sys/kernel/random/boot_id): after a reboot every pid is someone else's. */
  boot?: string;
}

/**
 * A lock file with no owner written is a holder that died between creating
 * and writing it (or a power cut): once this old, nobody is still writing it.
 */
const UNWRITTEN_STALE_MS = 5_000;

/** What is at a lock path, as text: its content, or a marker for anything that is no lock of ours (a FIFO, a link, a huge file). */
function lockText(path: string): string | undefined {
  // Not following links and not blocking: another user could have planted a FIFO or a link here.
  const read = readRegularFileSync(path, { maxBytes: 4096, noFollow: true });
  if ("bytes" in read) return read.bytes.toString("utf8");
  return read.reason === "missing" ? undefined : `\0${read.reason}`;
}

function readOwner(path: string): { owner: Owner | undefined; mtimeMs: number; raw: string } | undefined {
  const raw = lockText(path);
  if (raw === undefined) return undefined;
  // Not a lock file at all: stale at once.
  if (raw.startsWith("\0")) return { owner: undefined, mtimeMs: 0, raw };
  let mtimeMs: number;
  try {
    mtimeMs = lstatSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(raw) as Owner;
    return { owner: typeof owner?.pid === "number" && typeof owner.host === "string" ? owner : undefined, mtimeMs, raw };
  } catch {
    return { owner: undefined, mtimeMs, raw };
  }
}

/** This process's start time and boot id on Linux; undefined elsewhere (then only the pid is compared). */
function processIdentity(pid: number): { start?: string; boot?: string } {
  const start = readProcFile(`/proc/${pid}/stat`)?.split(") ").at(-1)?.split(" ")[19];
  const boot = readProcFile("/proc/sys/kernel/random/boot_id")?.trim();
  return { ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` still runs: its pid alive, and (where known) the same boot and start time. */
function ownerAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = processIdentity(owner.pid);
  if (owner.boot !== undefined && now.boot !== undefined && owner.boot !== now.boot) return false;
  // The pid was reused (containers restart with small pids): a live process, but not the owner.
  if (owner.start !== undefined && now.start !== undefined && owner.start !== now.start) return false;
  return true;
}

/** Tries once to create the lock file (O_EXCL); undefined when someone holds it. */
export function tryLock(path: string): FileLock | undefined {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now(), ...processIdentity(process.pid) } satisfies Owner));
  } finally {
    closeSync(fd);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        /* already broken as stale by someone else: nothing to release */
      }
    },
  };
}

/**
 * Removes a lock whose owner died (same host, pid gone) or that is older
 * than `staleMs`. The lock is first renamed aside — atomic, so only one
 * waiter wins — and put back if what was moved is not the lock judged stale
 * (another waiter broke it and a new owner took it meanwhile).
 */
export function breakStaleLock(path: string, staleMs: number, now = Date.now()): boolean {
  const seen = readOwner(path);
  if (!seen) return false;
  const { owner, mtimeMs } = seen;
  const age = now - (owner?.at ?? mtimeMs);
  const dead = owner !== undefined && owner.host === hostname() && !ownerAlive(owner);
  // A lock with no owner yet is being written, for a moment: after that it is a holder that died mid-write.
  const unwritten = owner === undefined && age >= UNWRITTEN_STALE_MS;
  if (!dead && !unwritten && age < staleMs) return false;
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  try {
    if (lockText(aside) !== seen.raw) {
      try {
        linkSync(aside, path);
      } catch {
        /* a newer lock exists: the one moved aside was newer still; both cannot be restored */
      }
      return false;
    }
    return true;
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      /* gone already */
    }
  }
}

/**
 * Waits for the lock. `whileWaiting` runs between attempts and may end the
 * wait with a value (e.g. fresh credentials another process just cached).
 */
export async function acquireFileLock<T>(
  path: string,
  options: LockOptions & { whileWaiting?: () => T | undefined } = {},
): Promise<{ lock: FileLock } | { value: T }> {
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + (options.timeoutMs ?? staleMs + 10_000);
  for (;;) {
    const lock = tryLock(path);
    if (lock) return { lock };
    const value = options.whileWaiting?.();
    if (value !== undefined) return { value };
    if (breakStaleLock(path, staleMs)) continue;
    if (Date.now() > deadline) {
      const owner = readOwner(path)?.owner;
      throw new Error(
        `timed out waiting for the lock ${path}${owner ? ` held by process ${owner.pid} on ${owner.host}` : ""}. If no certcreds process is running, delete that file.`,
      );
    }
    const pause = options.pollMs ?? 15 + Math.random() * 25;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
