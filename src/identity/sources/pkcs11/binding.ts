import { optionalPackageErrors, Pkcs11Error } from "./errors.js";
import { importOptionalPackage, loadOnce } from "../../../core/optional-package.js";

/** A PKCS#11 handle as pkcs11js passes it: the CK_ULONG's bytes. */
export type Handle = Buffer;

/** One attribute of a template or of an answer. */
export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

/** Token information as pkcs11js returns it (strings are blank-padded). */
export interface TokenInfo {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}

/**
 * The part of pkcs11js's `PKCS11` class certcreds uses. Declared here so the
 * package stays optional: nothing imports its types, and it is loaded only
 * when a PKCS#11 key is configured.
 */
export interface Pkcs11Module {
  load(path: string): void;
  close(): void;
  C_Initialize(options?: { flags?: number }): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): TokenInfo;
  C_GetMechanismList(slot: Handle): number[];
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_CloseAllSessions(slot: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): Attribute[];
  C_SignInit(session: Handle, mechanism: { mechanism: number; parameter?: Buffer }, key: Handle): void;
  C_Sign(session: Handle, data: Buffer, out: Buffer): Buffer;
  C_SignAsync(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>;
}

/** The constants certcreds needs (PKCS#11 v2.40 values). */
export const CK = {
  CKF_OS_LOCKING_OK: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_PROTECTED_AUTHENTICATION_PATH: 0x100,
  CKF_USER_PIN_COUNT_LOW: 0x10000,
  CKF_USER_PIN_FINAL_TRY: 0x20000,
  CKF_USER_PIN_LOCKED: 0x40000,
  CKU_USER: 1,
  CKU_CONTEXT_SPECIFIC: 2,
  CKO_CERTIFICATE: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKA_CLASS: 0x0,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_CERTIFICATE_TYPE: 0x80,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SIGN: 0x108,
  CKA_MODULUS: 0x120,
  CKA_PUBLIC_EXPONENT: 0x122,
  CKA_PUBLIC_KEY_INFO: 0x129,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKA_ALWAYS_AUTHENTICATE: 0x202,
  CKC_X_509: 0,
  CKK_RSA: 0x0,
  CKK_DSA: 0x1,
  CKK_EC: 0x3,
  CKK_EC_EDWARDS: 0x40,
  CKM_RSA_PKCS: 0x1,
  CKM_SHA256_RSA_PKCS: 0x40,
  CKM_ECDSA: 0x1041,
  CKM_ECDSA_SHA256: 0x1044,
} as const;

/** Names of key types for messages. */
export const KEY_TYPE_NAMES: Record<number, string> = {
  0: "RSA",
  1: "DSA",
  2: "DH",
  3: "EC",
  16: "AES",
  64: "EdDSA (CKK_EC_EDWARDS)",
  65: "Montgomery (CKK_EC_MONTGOMERY)",
};

/** The npm package that carries PKCS#11 into Node. */
export const BINDING_PACKAGE = "pkcs11js";

type Pkcs11Constructor = new () => Pkcs11Module;
/** Loads pkcs11js on first use (once per process). */
export const loadBinding: () => Promise<Pkcs11Constructor> = loadOnce(() => importBinding(BINDING_PACKAGE));

/**
 * Imports the binding package. The specifier is a variable so that bundlers
 * leave the import alone and file-key users never load it.
 */
export async function importBinding(specifier: string): Promise<Pkcs11Constructor> {
  const loaded = await importOptionalPackage<{ default?: { PKCS11?: unknown }; PKCS11?: unknown }>(
    specifier,
    optionalPackageErrors(
      specifier,
      `A PKCS#11 key is configured but the optional package "${specifier}" is not installed. Install it with "npm install ${specifier}" (it builds a native addon: needs python3, make and a C++ compiler).`,
      `Rebuild it for this Node version with "npm rebuild ${specifier}".`,
    ),
  );
  const ctor = loaded.PKCS11 ?? loaded.default?.PKCS11;
  if (typeof ctor !== "function") {
    throw new Pkcs11Error("binding", "pkcs11", `The package "${specifier}" has no PKCS11 class: install version 2 ("npm install ${specifier}@2").`);
  }
  return ctor as Pkcs11Constructor;
}
