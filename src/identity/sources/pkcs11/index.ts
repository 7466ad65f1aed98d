/**
 * Keys that never leave the hardware: PKCS#11 tokens (HSMs, smart cards,
 * TPMs) as a key source for both mechanisms. This entry point is light: the
 * session code and the optional `pkcs11js` binding load at first use.
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import type { Logger } from "../../../core/logger.js";
import type { Pkcs11Config } from "./config.js";
import type { Pkcs11KeySource } from "./token-identity.js";

export { type Pkcs11CliOptions, pkcs11IdentityFromCli, usesPkcs11Uris } from "./cli-options.js";
export type { Pkcs11Config } from "./config.js";
export { Pkcs11Error, type Pkcs11ErrorKind } from "./errors.js";
export { PIN_ENVIRONMENT_VARIABLE } from "./pin.js";
export type { Pkcs11Signer } from "./signer.js";
export type { Pkcs11KeySource } from "./token-identity.js";
export { isPkcs11Uri, type Pkcs11ObjectType, type Pkcs11Uri, parsePkcs11Uri, redactPkcs11Uri } from "./uri.js";

/**
 * Opens a key on a PKCS#11 token, for use as `IdentityInit.signer` or on
 * its own: `fromPkcs11({ library, userPin, tokenLabel, privateKeyLabel })` or
 * `fromPkcs11("pkcs11:token=dev;object=key?module-path=/usr/lib/softhsm/libsofthsm2.so")`.
 * Give `certificate` (PEM text, DER bytes or an X509Certificate) to pick the
 * key that belongs to it when several match. Most programs do not need this:
 * the `pkcs11` option of the sessions does the same and keeps the session
 * across refreshes.
 */
export async function fromPkcs11(
  key: Pkcs11Config | string,
  options: { certificate?: X509Certificate | string | Uint8Array; logger?: Logger } = {},
): Promise<Pkcs11KeySource> {
  return (await import("./token-identity.js")).fromPkcs11(key, options);
}
