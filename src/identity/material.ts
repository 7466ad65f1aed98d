import { InputReadError } from "../core/errors.js";
import { nodeFs } from "../core/node-builtins.js";
import { MAX_MATERIAL_BYTES } from "./limits.js";

/**
 * Where a certificate, chain or key comes from: a file path, PEM text, or
 * bytes (PEM or DER). A string containing `-----BEGIN` is PEM text; any other
 * string is a file path.
 */
export type MaterialInput = string | Uint8Array;

/** Bytes of an input, and how to name it in messages (never its content). */
export interface Material {
  bytes: Buffer;
  /** `certificate file /etc/device.pem`, `privateKey (PEM text)`... */
  label: string;
  path?: string;
}

export { MAX_MATERIAL_BYTES } from "./limits.js";

/** Whether a string input is PEM text rather than a path. */
export function isPemText(input: string): boolean {
  return input.includes("-----BEGIN");
}

/**
 * Reads an input. Files are read on every call on purpose: a certificate
 * renewed on disk must be picked up at the next refresh without a restart.
 */
export async function readMaterial(input: MaterialInput, option: string): Promise<Material> {
  if (typeof input !== "string") {
    return { bytes: Buffer.from(input.buffer, input.byteOffset, input.byteLength), label: `${option} (bytes)` };
  }
  if (isPemText(input)) {
    // PEM kept in .env files and CI secrets often has its line breaks written as the two characters `\n`.
    const text = input.includes("\n") || !input.includes("\\n") ? input : input.replace(/(?:\\r)?\\n/g, "\n");
    return { bytes: Buffer.from(text, "utf8"), label: `${option} (PEM text)` };
  }
  const path = input.trim();
  if (path === "") {
    throw new InputReadError(option, `${option} is empty: pass a file path, PEM text or bytes.`);
  }
  try {
    return { bytes: readRegularFile(path, option), label: `${option} file ${path}`, path };
  } catch (cause) {
    if (cause instanceof InputReadError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "is not readable by this user (check its permissions)"
          : code === "EISDIR"
            ? "is a directory, not a file"
            : `could not be read (${code ?? "unknown error"})`;
    throw new InputReadError(option, `${option} file ${path} ${why}. Pass the path of a PEM or DER file, or the PEM text itself.`, { cause });
  }
}

/**
 * Reads a regular file of at most {@link MAX_MATERIAL_BYTES}. A FIFO, device
 * or socket given where a file is expected (`/dev/zero`, a pipe nobody
 * writes) is refused at once instead of hanging or filling memory: the open
 * does not block, and the size is checked before and while reading.
 *
 * Synchronous on purpose: these are files of a few kilobytes, read three at a
 * time per refresh, and each asynchronous step (open, stat, read, close on
 * the thread pool) cost more than the read itself — about a millisecond per
 * file in a fresh process, which is most of what a first fetch waits for.
 */
function readRegularFile(path: string, option: string): Buffer {
  const { closeSync, constants, fstatSync, openSync, readSync } = nodeFs();
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) {
      throw new InputReadError(option, `${option} file ${path} is a directory, not a file. Pass the path of a PEM or DER file, or the PEM text itself.`);
    }
    if (!stat.isFile()) {
      throw new InputReadError(
        option,
        `${option} file ${path} is not a regular file (a device, FIFO or socket). Pass the path of a PEM or DER file, or the PEM text itself.`,
      );
    }
    const chunks: Buffer[] = [];
    let length = 0;
    // Read until the end rather than trusting stat's size: the file may be growing.
    for (let size = Math.min(stat.size + 1, MAX_MATERIAL_BYTES + 1); ; size = 64 * 1024) {
      const chunk = Buffer.allocUnsafe(size);
      const bytesRead = readSync(fd, chunk, 0, size, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > MAX_MATERIAL_BYTES) {
        throw new InputReadError(
          option,
          `${option} file ${path} is larger than ${MAX_MATERIAL_BYTES / 1024 / 1024} MiB: it is not a certificate, key or CA bundle. Check the path.`,
        );
      }
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  } finally {
    closeSync(fd);
  }
}
