/**
 * TPM 2.0 keys as a key source: TSS2 key files and persistent handles,
 * signed by a small TPM 2.0 command client of certcreds' own (no native
 * dependency). This entry point is light: the client loads at first use.
 *
 * @module
 */
export { TpmError, type TpmErrorKind } from "./errors.js";
export { DEFAULT_TPM_DEVICE, TPM_DEVICE_VARIABLE, type TpmOptions } from "./options.js";
