/** The TPM 2.0 constants certcreds uses (TCG TPM 2.0 Library, Part 2: Structures). */

/** Structure tags (TPM_ST). */
export const ST = {
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  HASHCHECK: 0x8024,
} as const;

/** Command codes (TPM_CC). */
export const CC = {
  CreatePrimary: 0x131,
  Load: 0x157,
  Sign: 0x15d,
  FlushContext: 0x165,
  GetCapability: 0x17a,
  ReadPublic: 0x173,
} as const;

/** Algorithm identifiers (TPM_ALG). */
export const ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  ECDSA: 0x0018,
  ECDAA: 0x001a,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CFB: 0x0043,
} as const;

/** ECC curves (TPM_ECC_CURVE) certcreds signs with, and their coordinate size. */
export const CURVES = new Map<number, { name: "P-256" | "P-384"; size: number }>([
  [0x0003, { name: "P-256", size: 32 }],
  [0x0004, { name: "P-384", size: 48 }],
]);

/** Names of curves a key may be on, for messages. */
export const CURVE_NAMES = new Map<number, string>([
  [0x0001, "P-192"],
  [0x0002, "P-224"],
  [0x0003, "P-256"],
  [0x0004, "P-384"],
  [0x0005, "P-521"],
  [0x0010, "BN P-256"],
  [0x0011, "BN P-638"],
  [0x0020, "SM2 P-256"],
]);

/** Digest sizes of the name algorithms a key may use. */
export const DIGEST_SIZES: Record<number, { size: number; node: string }> = {
  [ALG.SHA1]: { size: 20, node: "sha1" },
  [ALG.SHA256]: { size: 32, node: "sha256" },
  [ALG.SHA384]: { size: 48, node: "sha384" },
  [ALG.SHA512]: { size: 64, node: "sha512" },
};

/** Permanent and hierarchy handles (TPM_RH, TPM_RS). */
export const RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  PW: 0x40000009,
  ENDORSEMENT: 0x4000000b,
  PLATFORM: 0x4000000c,
} as const;

/** The hierarchies a key file's parent may name, each with the primary re-created from the storage template. */
export const HIERARCHIES: Record<number, string> = {
  [RH.OWNER]: "owner",
  [RH.ENDORSEMENT]: "endorsement",
  [RH.PLATFORM]: "platform",
  [RH.NULL]: "null",
};

/** Object attributes (TPMA_OBJECT). */
export const OBJECT = {
  fixedTPM: 1 << 1,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  noDA: 1 << 10,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/** Handle types: the top byte of a handle. */
export const HANDLE_TYPE = { TRANSIENT: 0x80, PERSISTENT: 0x81 } as const;

/** Capabilities and properties (TPM_CAP, TPM_PT) for the dictionary-attack state. */
export const CAP = { TPM_PROPERTIES: 6 } as const;
export const PT = {
  PERMANENT: 0x200,
  LOCKOUT_COUNTER: 0x20e,
  MAX_AUTH_FAIL: 0x20f,
  LOCKOUT_INTERVAL: 0x210,
  LOCKOUT_RECOVERY: 0x211,
} as const;

/** Whether a handle is a persistent object (`0x81xxxxxx`). */
export function isPersistentHandle(handle: number): boolean {
  return handle >>> 24 === HANDLE_TYPE.PERSISTENT;
}

/** A handle as tpm2-tools shows it: `0x81000001`. */
export function hex(handle: number): string {
  return `0x${(handle >>> 0).toString(16).padStart(8, "0")}`;
}
