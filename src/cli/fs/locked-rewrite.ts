import { mkdirSync, realpathSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CliConfigurationError } from "../output/usage-error.js";
import { writeFileAtomic } from "../../core/fs/atomic-write.js";
import { acquireFileLock } from "./file-lock.js";
import { readRegularFileSync } from "../../core/fs/read-regular-file.js";

/** The largest AWS file rewritten: thousands of profiles fit; a huge file is a wrong path, not an AWS file. */
const MAX_AWS_FILE_BYTES = 4 * 1024 * 1024;

/** The real file behind a symlink, so the rename replaces the file and keeps the link. */
function target(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** What a file is, for messages: "the shared credentials file", and the variable that chooses it. */
export interface RewrittenFile {
  path: string;
  label: string;
  variable: string;
}

/**
 * Rewrites a file the AWS SDKs read (shared credentials, config) as
 * `edit` says: under a lock (`<file>.lock`, so two certcreds processes never
 * lose each other's change), atomically (readers see the old or the new
 * file), keeping a symlink, with `mode` — or the file's own mode when
 * `mode` is "keep". A missing file is created (and its missing directory,
 * private); anything but a regular file of sane size is refused.
 */
export async function rewriteLocked(file: RewrittenFile, edit: (bytes: Buffer) => Buffer, mode: number | "keep"): Promise<void> {
  const real = target(file.path);
  // A missing ~/.aws is created private; an existing one is the user's to manage.
  mkdirSync(dirname(real), { recursive: true, mode: 0o700 });
  const outcome = await acquireFileLock(`${real}.lock`, { staleMs: 30_000, timeoutMs: 40_000 });
  if (!("lock" in outcome)) return;
  try {
    const read = readRegularFileSync(real, { maxBytes: MAX_AWS_FILE_BYTES });
    if ("reason" in read && read.reason !== "missing") {
      throw new CliConfigurationError(
        read.reason === "too-large"
          ? `${file.label} ${real} is larger than ${MAX_AWS_FILE_BYTES / 1024 / 1024} MiB: that is not the file meant. Check ${file.variable}.`
          : read.reason === "not-regular"
            ? `${file.label} ${real} is not a regular file (a FIFO, device or directory): point ${file.variable} at a file.`
            : `${file.label} ${real} cannot be read: check its permissions.`,
      );
    }
    const bytes = "bytes" in read ? read.bytes : Buffer.alloc(0);
    const kept = mode === "keep" ? ("bytes" in read ? statSync(real).mode & 0o777 : 0o600) : mode;
    writeFileAtomic(real, edit(bytes), kept);
  } finally {
    outcome.lock.release();
  }
}
