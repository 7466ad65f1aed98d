import { nodeFs } from "../node-builtins.js";

/** Why a file was not read: absent, not a plain file of this user's, or too large. */
export type UnreadableReason = "missing" | "not-regular" | "symlink" | "too-large" | "error";

/**
 * Reads a file that another user or process could have replaced with a
 * trap: opened without blocking (a FIFO answers at once instead of hanging),
 * optionally without following a symbolic link, regular files only, at most
 * `maxBytes`. Synchronous, for the warm `credential-process` path.
 */
export function readRegularFileSync(
  path: string,
  options: { maxBytes: number; noFollow?: boolean; check?: (stat: import("node:fs").Stats) => boolean },
): { bytes: Buffer } | { reason: UnreadableReason } {
  const { closeSync, constants, fstatSync, openSync, readSync } = nodeFs();
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: code === "ENOENT" ? "missing" : code === "ELOOP" ? "symlink" : "error" };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || (options.check && !options.check(stat))) return { reason: "not-regular" };
    if (stat.size > options.maxBytes) return { reason: "too-large" };
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, options.maxBytes + 1 - length) || 1);
      const read = readSync(fd, chunk, 0, chunk.length, length);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      length += read;
      if (length > options.maxBytes) return { reason: "too-large" };
    }
    return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) };
  } catch {
    return { reason: "error" };
  } finally {
    closeSync(fd);
  }
}
