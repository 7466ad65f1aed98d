import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CliConfigurationError } from "../output/usage-error.js";

/**
 * Writes a file so that readers see the old content or the new, never a
 * torn one: a 0600 temporary file beside the target, fsync, then rename.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      /* nothing left to clean */
    }
    throw error;
  }
}

/**
 * Creates a private directory (0700), or checks an existing one: it must
 * belong to this user, and loose permissions are tightened.
 */
export function ensurePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const stat = statSync(path);
  if (!stat.isDirectory()) throw new CliConfigurationError(`${path} is not a directory: pass another --cache-dir.`);
  if (process.getuid && stat.uid !== process.getuid()) {
    throw new CliConfigurationError(`${path} belongs to another user (uid ${stat.uid}): pass a directory of your own with --cache-dir.`);
  }
  if ((stat.mode & 0o077) !== 0) chmodSync(path, 0o700);
}
