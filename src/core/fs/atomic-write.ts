import { nodeCrypto, nodeFs } from "../node-builtins.js";

/**
 * Writes a file so that readers see the old content or the new, never a
 * torn one: a temporary file (mode `mode`, created with `O_EXCL`) beside the
 * target, fsync, then rename.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } = nodeFs();
  const { basename, dirname, join } = process.getBuiltinModule("node:path");
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${nodeCrypto().randomBytes(4).toString("hex")}.tmp`);
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
