import { ConfigurationError } from "../../../core/errors.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySourceKind } from "../../key-source.js";
import { isPkcs11Uri } from "./uri.js";

/**
 * Keys on a PKCS#11 token: the `pkcs11` option, or a `pkcs11:` URI as the
 * key or the certificate. The session code and the `pkcs11js` binding are
 * imported only when such a source opens.
 */
export const pkcs11KeySource: KeySourceKind = {
  name: "pkcs11",
  claims(init) {
    const keyUri = isPkcs11Uri(init.privateKey);
    if (init.pkcs11 === undefined && !keyUri && !isPkcs11Uri(init.certificate)) return false;
    // A signer beside a token certificate alone keeps the signer; beside a token key it is a conflict (check()).
    return init.signer === undefined || init.pkcs11 !== undefined || keyUri;
  },
  check(init: IdentityInit) {
    if (init.signer !== undefined) {
      throw new ConfigurationError("signer", "signer and a PKCS#11 key (pkcs11, or a pkcs11: URI as privateKey) both name the key: keep one.");
    }
    if (init.privateKey !== undefined && !isPkcs11Uri(init.privateKey)) {
      throw new ConfigurationError(
        "privateKey",
        "privateKey is a file or PEM while the key is configured on a PKCS#11 token (pkcs11, or a pkcs11: certificate URI): leave privateKey out, or make it a pkcs11: URI.",
      );
    }
  },
  suppliesCertificate: (init) => init.pkcs11 !== undefined,
  async open(init, { logger }) {
    return (await import("./source.js")).openPkcs11Source(init, logger);
  },
};
