import { ConfigurationError } from "../../../core/errors.js";
import type { KeySourceCli } from "../../key-source-cli.js";

const REFUSAL =
  "selects a certificate in the Windows or macOS certificate store, a feature of AWS's aws_signing_helper on those systems that certcreds does not have: " +
  "pass the certificate and key as files (--certificate, --private-key), as one PKCS#12 file (--certificate file.p12), " +
  "or reach the key on a PKCS#11 token (pkcs11: URIs) or a TPM 2.0 (--private-key with a TSS2 key file or handle:0x81…).";

/**
 * The flags of AWS's aws_signing_helper for the Windows and macOS certificate
 * stores. certcreds reads no certificate store, but a command line or
 * profile written for the helper must fail with what to use instead, not
 * with "unknown option": the flags are accepted, and refused when set.
 */
export const certStoreCli = {
  name: "cert-store",
  flags: {
    "cert-selector": {
      kind: "string",
      refused: REFUSAL,
      help: "<selector>  (aws_signing_helper's Windows/macOS certificate stores) refused: certcreds reads files, PKCS#11 and TPM keys",
    },
    "system-store-name": { kind: "string", refused: REFUSAL, help: "<name>  (aws_signing_helper's Windows certificate store) refused, as --cert-selector" },
    "use-latest-expiring-certificate": { kind: "boolean", refused: REFUSAL, help: "(aws_signing_helper's certificate stores) refused, as --cert-selector" },
  } as const,
  // Never the source of a command line: a set flag is refused before any source is asked.
  claims: () => false,
  async identityInit() {
    throw new ConfigurationError("cert-selector", `--cert-selector ${REFUSAL}`);
  },
} satisfies KeySourceCli;
