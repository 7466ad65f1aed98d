import { unlinkSync } from "node:fs";
import type { ProcessCredentials } from "../../surfaces/credential-process/process-credentials.js";
import { writeFileAtomic } from "../../core/fs/atomic-write.js";
import type { ExpiryRecord } from "./cache-expiry.js";
import { type CacheEntry, isFresh, readCacheEntry } from "./cache-read.js";
import { acquireFileLock, type FileLock } from "./file-lock.js";

/** A cache file's entry while it has more than its refresh window left. */
export function freshEntry(file: string): CacheEntry | undefined {
  const entry = readCacheEntry(file);
  return entry && isFresh(entry, Date.now()) ? entry : undefined;
}

/**
 * Takes the per-configuration lock, so that concurrent invocations make one
 * upstream call: resolves to the lock, or to the fresh entry the holder
 * cached while this process waited.
 */
export function lockEntry(file: string): Promise<{ lock: FileLock } | { value: CacheEntry }> {
  return acquireFileLock(`${file}.lock`, { whileWaiting: () => freshEntry(file) });
}

/** Writes an entry atomically (0600): readers see the old one or the new one, never a torn file. */
export function writeEntry(file: string, obtainedAt: number, credentials: ProcessCredentials): void {
  const entry: CacheEntry = { v: 1, obtainedAt, credentials };
  writeFileAtomic(file, JSON.stringify(entry));
}

/** Writes an expiry record atomically (0600). */
export function writeExpiryRecord(file: string, record: ExpiryRecord): void {
  writeFileAtomic(file, JSON.stringify(record));
}

/** Deletes an expiry record: nothing left to warn about (renewed, or the warnings turned off). */
export function removeExpiryRecord(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
