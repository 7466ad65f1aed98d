import { chmodSync, mkdirSync, statSync } from "node:fs";
import { CliConfigurationError } from "../output/usage-error.js";

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
