import { statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { ProcessCredentials } from "../../surfaces/credential-process/process-credentials.js";
import type { Settings } from "../config/settings.js";
import { readRegularFileSync } from "../../core/fs/read-regular-file.js";
import { credentialFieldProblem } from "../../core/credential-fields.js";

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
  // The same shapes as from the service: what is printed to consumers is checked wherever it comes from.
  if (
    credentialFieldProblem("accessKeyId", c.AccessKeyId) ||
    credentialFieldProblem("secretAccessKey", c.SecretAccessKey) ||
    credentialFieldProblem("sessionToken", c.SessionToken)
  ) {
    return undefined;
  }
  if (c.AccountId !== undefined && !(typeof c.AccountId === "string" && /^\d{12}$/.test(c.AccountId))) return undefined;
  if (typeof c.Expiration !== "string" || !/^\d{4}-\d\d-\d\dT/.test(c.Expiration) || Number.isNaN(Date.parse(c.Expiration))) return undefined;
  return entry;
}

/** Whether an entry still has more than its refresh window left at `now`. */
export function isFresh(entry: CacheEntry, now: number): boolean {
  const expiration = Date.parse(entry.credentials.Expiration);
  return expiration - now > refreshWindowMs(expiration - entry.obtainedAt);
}

/** A cache entry is a few hundred bytes; anything far larger is not one. */
const MAX_ENTRY_BYTES = 64 * 1024;

/** Whether a path belongs to this user and only this user may read or change it. */
function privateToUser(stat: { uid: number; mode: number }): boolean {
  return (!process.getuid || stat.uid === process.getuid()) && (stat.mode & 0o077) === 0;
}

/**
 * Reads a cache file. A missing, corrupt, foreign-owned or group/world
 * readable file counts as absent, and so does any file in a directory that
 * is not this user's alone (another user could swap entries in it): it is
 * replaced at the next write, never trusted and never a crash. The entry is
 * opened without following a symbolic link (which could point at another
 * configuration's entry) and without blocking (a FIFO would hang the warm
 * path).
 */
export function readCacheEntry(path: string): CacheEntry | undefined {
  return validEntry(readPrivateJson(path));
}

/** The JSON of a file of the cache directory, read with the checks of {@link readCacheEntry}; undefined when any fails. */
export function readPrivateJson(path: string): unknown {
  try {
    const directory = statSync(dirname(path));
    if (!directory.isDirectory() || !privateToUser(directory)) return undefined;
  } catch {
    return undefined;
  }
  const read = readRegularFileSync(path, { maxBytes: MAX_ENTRY_BYTES, noFollow: true, check: privateToUser });
  if (!("bytes" in read)) return undefined;
  try {
    return JSON.parse(read.bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}
