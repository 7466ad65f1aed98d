import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";

/** A held lock file; release it exactly once. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

export interface LockOptions {
  /** A lock older than this is stale whatever its owner (default 120 s: longer than a fetch with retries). */
  staleMs?: number;
  /** Give up waiting after this long (default 90 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 15–40 ms, jittered). */
  pollMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  at: number;
}

function readOwner(path: string): { owner: Owner | undefined; mtimeMs: number; raw: string } | undefined {
  try {
    const raw = readFileSync(path, "utf8");
    const mtimeMs = statSync(path).mtimeMs;
    try {
      const owner = JSON.parse(raw) as Owner;
      return { owner: typeof owner?.pid === "number" ? owner : undefined, mtimeMs, raw };
    } catch {
      return { owner: undefined, mtimeMs, raw };
    }
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() } satisfies Owner));
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
  const dead = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
  // A lock with no owner yet is being written: only its age can make it stale.
  if (!dead && age < staleMs) return false;
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  try {
    if (readFileSync(aside, "utf8") !== seen.raw) {
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
  const staleMs = options.staleMs ?? 120_000;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
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
