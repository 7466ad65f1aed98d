import type { X509Certificate } from "node:crypto";
import type { Logger } from "../../../core/logger.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySource, SourceKey } from "../../key-source.js";
import type { Material } from "../../material.js";
import { resolvePkcs11Spec } from "./config.js";
import { TokenIdentity } from "./token-identity.js";

/**
 * A key (and maybe the certificate) on a PKCS#11 token, as a key source: one
 * token session for the life of the source, closed with it.
 */
export function openPkcs11Source(init: IdentityInit, logger: Logger | undefined): KeySource {
  const token = new TokenIdentity(resolvePkcs11Spec(init), logger);
  return {
    ...(token.readsCertificate
      ? { readCertificate: async (): Promise<Material> => ({ bytes: await token.certificate(), label: "certificate on the PKCS#11 token" }) }
      : {}),
    async key(certificate: X509Certificate): Promise<SourceKey> {
      const signer = await token.signerFor(certificate);
      return { signer, label: signer.description, publicKey: () => signer.publicKey(), tlsKey: () => signer.tlsKey() };
    },
    close: () => token.close(),
  };
}
