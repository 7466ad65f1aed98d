import type { IdentityInit } from "../../identity-init.js";
import type { MaterialInput } from "../../material.js";
import { resolvePkcs11Spec } from "./config.js";
import { isPkcs11Uri } from "./uri.js";

/** The command line's PKCS#11 inputs, in the words of AWS's `aws_signing_helper`. */
export interface Pkcs11CliOptions {
  /** `--certificate`: a `pkcs11:` URI (read from the token), or the certificate itself (path, PEM, bytes). */
  certificate?: MaterialInput | undefined;
  /** `--private-key`: a `pkcs11:` URI; omitted, the key is looked up like the certificate URI. */
  privateKey?: string | undefined;
  /** `--pkcs11-lib`: the PKCS#11 module; default the URI's module-path, else p11-kit-proxy. */
  pkcs11Lib?: string | undefined;
  /** `--reuse-pin`: log in to CKA_ALWAYS_AUTHENTICATE keys with the user PIN instead of asking at each signature. */
  reusePin?: boolean | undefined;
}

/** Whether the command line names a token key (either input is a `pkcs11:` URI). */
export function usesPkcs11Uris(options: Pkcs11CliOptions): boolean {
  return isPkcs11Uri(options.certificate) || isPkcs11Uri(options.privateKey);
}

/**
 * The IdentityInit fields for `--certificate`/`--private-key` PKCS#11 URIs
 * with `--pkcs11-lib` and `--reuse-pin`. Checks the URIs at once (a
 * malformed one is a ConfigurationError naming `certificate` or
 * `privateKey`, never showing the PIN) without touching the token: the
 * session opens at the first refresh. The PIN comes from the URI's
 * `pin-value`/`pin-source`, `CERTCREDS_PKCS11_PIN`, or a prompt on a terminal.
 */
export function pkcs11IdentityFromCli(options: Pkcs11CliOptions): Pick<IdentityInit, "certificate" | "privateKey" | "pkcs11"> {
  const pkcs11 = {
    ...(options.pkcs11Lib !== undefined && options.pkcs11Lib !== "" ? { library: options.pkcs11Lib } : {}),
    ...(options.reusePin ? { reusePin: true } : {}),
  };
  const init: Pick<IdentityInit, "certificate" | "privateKey" | "pkcs11"> = {
    ...(options.certificate !== undefined ? { certificate: options.certificate } : {}),
    ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
    pkcs11,
  };
  resolvePkcs11Spec(init);
  return init;
}
