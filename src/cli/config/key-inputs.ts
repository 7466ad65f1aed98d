import type { IdentityInit } from "../../identity/load-identity.js";
import { pkcs11IdentityFromCli } from "../../identity/pkcs11/cli-options.js";
import { materialFrom } from "./session-factory.js";
import type { Settings } from "./settings.js";

/**
 * `--certificate` / `--private-key` given as RFC 7512 `pkcs11:` URIs, with
 * `--pkcs11-lib` and `--reuse-pin`, as the library's identity init (the
 * PKCS#11 support of src/identity/pkcs11 maps them; the key stays on the
 * token). Loaded only when a pkcs11: URI is configured.
 */
export async function pkcs11IdentityInit(settings: Settings): Promise<IdentityInit> {
  const certificateValue = settings.string("certificate");
  const keyValue = settings.string("private-key");
  const certificate = certificateValue?.startsWith("pkcs11:") ? certificateValue : await materialFrom(settings, "certificate");
  const chain = await materialFrom(settings, "intermediates");
  const identity = pkcs11IdentityFromCli({
    certificate,
    privateKey: keyValue?.startsWith("pkcs11:") ? keyValue : undefined,
    pkcs11Lib: settings.string("pkcs11-lib"),
    reusePin: settings.boolean("reuse-pin"),
  });
  return { ...identity, ...(chain !== undefined ? { certificateChain: chain } : {}) } as IdentityInit;
}
