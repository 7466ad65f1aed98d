import { InputError } from "../../../core/errors.js";

/**
 * What went wrong with a PKCS#11 token:
 * - `library`: the module file is missing or is not a PKCS#11 module;
 * - `binding`: the optional `pkcs11js` package is not installed or does not load;
 * - `token-not-found`: no slot/token matches the selection;
 * - `pin-missing`, `pin-incorrect`, `pin-locked`: logging in failed;
 * - `object-not-found`, `object-ambiguous`: the key or certificate lookup;
 * - `key-type`: a key type or size certcreds cannot use;
 * - `mechanism`: the token cannot sign with the mechanisms SigV4-X509 needs;
 * - `token`: any other error the token returned.
 */
export type Pkcs11ErrorKind =
  | "library"
  | "binding"
  | "token-not-found"
  | "pin-missing"
  | "pin-incorrect"
  | "pin-locked"
  | "object-not-found"
  | "object-ambiguous"
  | "key-type"
  | "mechanism"
  | "token";

/**
 * An error from a PKCS#11 token or its configuration. `option` names the
 * input to change (`pkcs11.library`, `privateKey`...), `returnValue` the
 * token's `CKR_*` code when it sent one. Messages never hold a PIN.
 */
// Not Pkcs11Error.code inside the class: a class that names itself in its body is bundled as `var Pkcs11Error = class _Pkcs11Error`,
// and its instances would be called _Pkcs11Error (error.name is the class name).
const PKCS11_CODE = "ERR_CERTCREDS_PKCS11";

export class Pkcs11Error extends InputError {
  /** The prefix of every instance's code, which names the kind: `ERR_CERTCREDS_PKCS11_PIN_INCORRECT`. */
  static override code = PKCS11_CODE;
  constructor(
    readonly kind: Pkcs11ErrorKind,
    readonly option: string,
    message: string,
    readonly returnValue?: string,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: `${PKCS11_CODE}_${kind.toUpperCase().replace(/-/g, "_")}` });
  }
}

/** The `CKR_*` name of an error thrown by pkcs11js, if it is one. */
export function returnValueOf(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== "string") return undefined;
  return /^(CKR_[A-Z0-9_]+)/.exec(message)?.[1];
}

/**
 * Return values after which the session (or the whole login) is gone but a
 * new session may work: the token was removed and re-inserted, another part
 * of the program closed the sessions or logged out, the module was
 * re-initialised.
 */
export const SESSION_LOST = new Set([
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
  "CKR_USER_NOT_LOGGED_IN",
  "CKR_OBJECT_HANDLE_INVALID",
  "CKR_KEY_HANDLE_INVALID",
  "CKR_DEVICE_ERROR",
  "CKR_CRYPTOKI_NOT_INITIALIZED",
  "CKR_SLOT_ID_INVALID",
]);

/**
 * What to say when an optional package a token key needs cannot be loaded:
 * `missing` (not installed) or the package installed but broken, with `fix`.
 */
export function optionalPackageErrors(
  specifier: string,
  missing: string,
  fix: string,
): { missing: (cause: unknown) => Error; broken: (cause: unknown) => Error } {
  return {
    missing: (cause) => new Pkcs11Error("binding", "pkcs11", missing, undefined, { cause }),
    broken: (cause) =>
      new Pkcs11Error(
        "binding",
        "pkcs11",
        `The optional package "${specifier}" is installed but does not load (${(cause as Error).message}). ${fix}`,
        undefined,
        { cause },
      ),
  };
}
