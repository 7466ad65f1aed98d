import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { ProcessCredentials } from "../../surfaces/credential-process/process-credentials.js";
import type { Settings } from "../config/settings.js";

/** What a cache file holds: the credential_process answer and when it was obtained. */
export interface CacheEntry {
  v: 1;
  /** Epoch ms when the credentials were fetched (to know their lifetime). */
  obtainedAt: number;
  credentials: ProcessCredentials;
}

const MINUTE = 60_000;

/**
 * How long before expiry cached credentials stop being handed out:
 * botocore's advisory window (15 min), or a third of the lifetime for
 * short-lived credentials.
 */
export function refreshWindowMs(lifetimeMs: number): number {
  return Math.min(15 * MINUTE, Math.max(0, lifetimeMs) / 3);
}

/** `--cache-dir`, else `$XDG_CACHE_HOME/certcreds`, else `~/.cache/certcreds`. */
export function cacheDirectory(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = settings.string("cache-dir");
  if (explicit) return explicit;
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "certcreds");
}

export function cacheFile(directory: string, key: string): string {
  return join(directory, `${key}.json`);
}

/** Checks a parsed cache file; anything unexpected is treated as absent. */
export function validEntry(value: unknown): CacheEntry | undefined {
  const entry = value as CacheEntry | null;
  const c = entry?.credentials;
  if (entry?.v !== 1 || typeof entry.obtainedAt !== "number" || !c || c.Version !== 1) return undefined;
  for (const field of ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"] as const) {
    if (typeof c[field] !== "string" || c[field] === "") return undefined;
  }
  if (c.AccountId !== undefined && typeof c.AccountId !== "string") return undefined;
  if (Number.isNaN(Date.parse(c.Expiration))) return undefined;
  return entry;
}

/** Whether an entry still has more than its refresh window left at `now`. */
export function isFresh(entry: CacheEntry, now: number): boolean {
  const expiration = Date.parse(entry.credentials.Expiration);
  return expiration - now > refreshWindowMs(expiration - entry.obtainedAt);
}

/**
 * Reads a cache file. A missing, corrupt, foreign-owned or group/world
 * readable file counts as absent: it is replaced at the next write, never
 * trusted and never a crash.
 */
export function readCacheEntry(path: string): CacheEntry | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || (process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o077) !== 0) return undefined;
    return validEntry(JSON.parse(readFileSync(fd, "utf8")));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
