import { InputReadError } from "../core/errors.js";

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
  if (isPemText(input)) return { bytes: Buffer.from(input, "utf8"), label: `${option} (PEM text)` };
  const path = input.trim();
  if (path === "") {
    throw new InputReadError(option, `${option} is empty: pass a file path, PEM text or bytes.`);
  }
  try {
    // node:fs/promises is loaded on first use: it costs start-up time to every importer otherwise.
    const { readFile } = await import("node:fs/promises");
    return { bytes: await readFile(path), label: `${option} file ${path}`, path };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "is not readable by this user (check its permissions)"
          : code === "EISDIR"
            ? "is a directory, not a file"
            : `could not be read (${code ?? "unknown error"})`;
    throw new InputReadError(
      option,
      `${option} file ${path} ${why}. Pass the path of a PEM or DER file, or the PEM text itself.`,
      { cause },
    );
  }
}
