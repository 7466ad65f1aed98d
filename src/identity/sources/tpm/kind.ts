import type { IdentityInit } from "../../identity-init.js";
import type { KeySourceKind } from "../../key-source.js";
import type { MaterialInput } from "../../material.js";

const LABEL = "-----BEGIN TSS2 PRIVATE KEY-----";
/** A TSS2 key file is a few kilobytes; its label is looked for in this much of a file. */
const PEEK_BYTES = 64 * 1024;

/** Whether a file starts (within its first bytes) with a TSS2 key; never throws, never waits on a FIFO or device. */
function fileHoldsTss2Key(path: string): boolean {
  const fs = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  if (!fs) return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.trim(), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) return false;
    // Uninitialised: only the bytes read are looked at, and zero-filling 64 KB is most of the cost for a small key file.
    const buffer = Buffer.allocUnsafe(PEEK_BYTES);
    const length = fs.readSync(fd, buffer, 0, PEEK_BYTES, 0);
    return buffer.subarray(0, length).includes(LABEL);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether an input is (or is a file holding) a TSS2 key. */
export function namesTss2Key(input: MaterialInput | undefined): boolean {
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength).includes(LABEL);
  if (typeof input !== "string" || input === "") return false;
  if (input.includes("-----BEGIN")) return input.includes(LABEL);
  return !input.startsWith("pkcs11:") && !input.startsWith("handle:") && fileHoldsTss2Key(input);
}

/** Whether an init names a TPM key: `handle:0x81…`, or a TSS2 key as the key (or beside the certificate). */
export function namesTpmKey(init: IdentityInit): boolean {
  const key = init.privateKey;
  if (typeof key === "string" && key.startsWith("handle:")) return true;
  return key !== undefined ? namesTss2Key(key) : namesTss2Key(init.certificate);
}

/**
 * TPM 2.0 keys: a TSS2 key file (`-----BEGIN TSS2 PRIVATE KEY-----`,
 * recognised by its label wherever a private key is accepted) or a
 * persistent key `handle:0x81xxxxxx`, with the `tpm` option. The TPM
 * client loads only when such a source opens.
 */
export const tpmKeySource: KeySourceKind = {
  name: "tpm",
  claims: (init) => init.signer === undefined && init.pkcs11 === undefined && namesTpmKey(init),
  noMutualTls: {
    option: "privateKey",
    message:
      "The IoT credential provider authenticates with mutual TLS, which certcreds signs with a TPM key through tpm2-pkcs11: " +
      "provision the key with tpm2_ptool and pass it as a pkcs11: URI (module-path=/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so). " +
      "A TSS2 key file or handle: key signs IAM Roles Anywhere requests.",
  },
  async open(init) {
    return (await import("./source.js")).openTpmSource(init);
  },
};
