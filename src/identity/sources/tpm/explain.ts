/**
 * What a TPM response code means for the step that got it, in one line
 * that names the fix. The same code says different things for different
 * commands: TPM_RC_HANDLE is an empty handle for ReadPublic and a missing
 * parent for Load.
 */
import type { TpmResponseError } from "./client.js";
import type { LockoutState } from "./commands.js";
import { hex } from "./constants.js";
import { TpmError } from "./errors.js";
import { RC } from "./response-codes.js";

const KEY_OPTION = "privateKey";
const PASSWORD_OPTION = "tpm.keyPassword";
const CLEAR_LOCKOUT = "clear it with `tpm2_dictionarylockout --clear-lockout` (add -p with the lockout hierarchy's password if it has one)";

function code(error: TpmResponseError): string {
  return error.decoded.text;
}

/** No free object slot: transient objects of other programs fill a TPM without a resource manager. */
export function objectMemory(error: TpmResponseError, location: string): TpmError {
  return new TpmError(
    "object-memory",
    "tpm.device",
    `The TPM at ${location} has no free object slot (${code(error)}): other programs hold transient objects; flush them with \`tpm2_flushcontext -t\`, or use the resource manager /dev/tpmrm0.`,
    error.rc,
    { cause: error },
  );
}

/** CreatePrimary of the storage primary failed. */
export function primaryError(error: TpmResponseError, hierarchy: string, location: string): TpmError {
  const { base } = error.decoded;
  if (base === RC.OBJECT_MEMORY) return objectMemory(error, location);
  const why =
    base === RC.AUTH_FAIL || base === RC.BAD_AUTH
      ? `the ${hierarchy} hierarchy has a password, which certcreds does not use: make the storage primary persistent (tpm2_createprimary, tpm2_evictcontrol) and create the key under that handle`
      : base === RC.HIERARCHY
        ? `the ${hierarchy} hierarchy is disabled on this TPM: create the key under another hierarchy or a persistent parent`
        : `the TPM refused to create it (${code(error)}): create the key under a persistent parent instead`;
  return new TpmError("parent", KEY_OPTION, `The ${hierarchy} hierarchy's storage primary for this key cannot be made: ${why}.`, error.rc, { cause: error });
}

/** Load of a key blob under its parent failed. */
export function loadError(error: TpmResponseError, label: string, parent: number, parentName: string, location: string): TpmError {
  const { base, handle } = error.decoded;
  if (base === RC.OBJECT_MEMORY) return objectMemory(error, location);
  if (base === RC.HANDLE && handle === 1) {
    return new TpmError(
      "parent",
      KEY_OPTION,
      `${label} names the parent ${hex(parent)}, but that persistent handle is empty on the TPM at ${location}: make the parent persistent there (tpm2_evictcontrol) or use the TPM the key was made on.`,
      error.rc,
      { cause: error },
    );
  }
  return new TpmError(
    "parent",
    KEY_OPTION,
    `${label} does not load under ${parentName} on the TPM at ${location} (${code(error)}): it was made under another parent or on another TPM; create it again on this TPM, or pass the TPM it was made on.`,
    error.rc,
    { cause: error },
  );
}

/** ReadPublic of a persistent key failed. */
export function readPublicError(error: TpmResponseError, handle: number, location: string): TpmError {
  const { base } = error.decoded;
  if (base === RC.HANDLE || base === RC.VALUE || base === RC.REFERENCE_H0) {
    return new TpmError(
      "handle-empty",
      KEY_OPTION,
      `No key at handle:${hex(handle)} on the TPM at ${location}: make it persistent there with tpm2_evictcontrol, or check the handle with \`tpm2_getcap handles-persistent\`.`,
      error.rc,
      { cause: error },
    );
  }
  return new TpmError("tpm", KEY_OPTION, `The TPM at ${location} could not read the key at handle:${hex(handle)} (${code(error)}).`, error.rc, {
    cause: error,
  });
}

/** Whether a Sign failure says the password was wrong (each such try counts towards lockout, unless the key is noDA). */
export function isWrongPassword(error: TpmResponseError): boolean {
  const { base, session } = error.decoded;
  return (base === RC.AUTH_FAIL || base === RC.BAD_AUTH) && (session === undefined || session === 1);
}

/** The dictionary-attack state as a clause: `(2 of 3 failures counted)`. */
function tries(state: LockoutState | undefined): string {
  if (state?.counter === undefined || state.maxTries === undefined) return "";
  return ` (${state.counter} of ${state.maxTries} failures now counted)`;
}

/** The error of a wrong password; certcreds never sends it again. */
export function wrongPassword(error: TpmResponseError, label: string, given: string, state: LockoutState | undefined): TpmError {
  const counted = error.decoded.base === RC.AUTH_FAIL;
  const lockout = counted ? `each wrong try counts towards the TPM's dictionary-attack lockout${tries(state)}` : "it is not tried again";
  return new TpmError(
    "password-incorrect",
    PASSWORD_OPTION,
    `The TPM refused the password ${given} for ${label} (${code(error)}), and certcreds will not try it again: ${lockout}. Pass the key's password with tpm.keyPassword (--tpm-key-password).`,
    error.rc,
    { cause: error },
  );
}

/** The TPM is in dictionary-attack lockout. */
export function lockout(error: TpmResponseError | undefined, location: string, state: LockoutState | undefined): TpmError {
  const wait = state?.recoverySeconds ? `wait for it to forgive a failure (every ${state.intervalSeconds ?? state.recoverySeconds} s) or ` : "";
  return new TpmError(
    "lockout",
    PASSWORD_OPTION,
    `The TPM at ${location} is in dictionary-attack lockout after too many wrong passwords: ${wait}${CLEAR_LOCKOUT}, then check the key's password.`,
    error?.rc,
    error ? { cause: error } : undefined,
  );
}

/** Any other Sign failure. */
export function signError(error: TpmResponseError, label: string, location: string): TpmError {
  const { base } = error.decoded;
  if (base === RC.KEY || base === RC.ATTRIBUTES) {
    return new TpmError(
      "no-sign",
      KEY_OPTION,
      `The TPM refuses to sign with ${label} (${code(error)}): it is not an unrestricted signing key; create one with the sign attribute.`,
      error.rc,
      {
        cause: error,
      },
    );
  }
  if (base === RC.SCHEME || base === RC.HASH || base === RC.VALUE || base === RC.SIZE || base === RC.CURVE) {
    return new TpmError(
      "algorithm",
      KEY_OPTION,
      `The TPM at ${location} cannot sign with ${label} as SigV4-X509 needs (${code(error)}: RSASSA or ECDSA with SHA-256): create an RSA or ECC P-256/P-384 key whose scheme is open or those.`,
      error.rc,
      { cause: error },
    );
  }
  if (base === RC.AUTH_UNAVAILABLE || base === RC.AUTH_MISSING) {
    return new TpmError(
      "algorithm",
      KEY_OPTION,
      `${label} cannot be authorised with a password (${code(error)}): create the key with the userWithAuth attribute and no policy.`,
      error.rc,
      {
        cause: error,
      },
    );
  }
  return new TpmError("tpm", KEY_OPTION, `The TPM at ${location} failed to sign with ${label} (${code(error)}).`, error.rc, { cause: error });
}
