import { InputError } from "../../../core/errors.js";

/**
 * What went wrong with a TPM key:
 * - `no-tpm`: nothing answers at the device path or address;
 * - `lockout`: the TPM is in dictionary-attack lockout;
 * - `parent`: the key does not load under the parent its file names;
 * - `no-sign`: the key is not a signing key (no `sign` attribute, or restricted);
 * - `algorithm`: a key type, curve, scheme or policy certcreds cannot use;
 * - `password-incorrect`, `password-missing`: the key's password;
 * - `handle-empty`: no object at a persistent handle;
 * - `key-file`: a TSS2 key file that does not parse;
 * - `option`: a malformed `handle:`, device or TCTI string;
 * - `object-memory`: no free object slot in the TPM;
 * - `response`: the TPM (or what answers as one) sent a malformed response;
 * - `timeout`: no response in time;
 * - `tpm`: any other error code from the TPM.
 */
export type TpmErrorKind =
  | "no-tpm"
  | "lockout"
  | "parent"
  | "no-sign"
  | "algorithm"
  | "password-incorrect"
  | "password-missing"
  | "handle-empty"
  | "key-file"
  | "option"
  | "object-memory"
  | "response"
  | "timeout"
  | "tpm";

/**
 * An error from a TPM 2.0 key or the TPM itself. `option` names the input
 * to change (`privateKey`, `tpm.device`, `tpm.keyPassword`), `responseCode`
 * the TPM's `TPM_RC` when it sent one. Messages never hold a password.
 */
// Not TpmError.code inside the class: a class that names itself in its body is bundled as `var TpmError = class _TpmError`,
// and its instances would be called _TpmError (error.name is the class name).
const TPM_CODE = "ERR_CERTCREDS_TPM";

export class TpmError extends InputError {
  /** The prefix of every instance's code, which names the kind: `ERR_CERTCREDS_TPM_LOCKOUT`. */
  static override code = TPM_CODE;
  constructor(
    readonly kind: TpmErrorKind,
    readonly option: string,
    message: string,
    readonly responseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: `${TPM_CODE}_${kind.toUpperCase().replace(/-/g, "_")}` });
  }
}

/** Where a TPM is, for messages: `/dev/tpmrm0`, `swtpm:host=127.0.0.1,port=2321`. */
export type TpmLocation = string;

/** A response that does not parse: what answers on the TPM's channel is not a TPM 2.0, or a broken one. */
export function malformedResponse(what: string, where: TpmLocation): TpmError {
  return new TpmError(
    "response",
    "tpm.device",
    `The TPM at ${where} sent a malformed response (${what}): check that tpm.device (--tpm-device, TPM_DEVICE) names a TPM 2.0 or a TPM simulator.`,
  );
}
