import { isPemText } from "../../material.js";
import type { KeySourceKind } from "../../key-source.js";
import { looksLikePfx } from "./sniff.js";

/**
 * A PKCS#12 file (.p12, .pfx) as `certificate`, holding the certificate, its
 * key and intermediates, opened with `passphrase` — as AWS's
 * aws_signing_helper takes it: a certificate without a private key. Bytes
 * are claimed by their content; a path is claimed when no key is named,
 * and its content decides at each read (a PEM holding its key, a DER
 * certificate and a PKCS#12 file are all valid there), so the file may be
 * replaced by another kind. The parser loads when the source opens.
 */
export const pkcs12KeySource: KeySourceKind = {
  name: "pkcs12",
  claims(init) {
    if (init.privateKey !== undefined || init.signer !== undefined || init.pkcs11 !== undefined) return false;
    const certificate = init.certificate;
    if (typeof certificate === "string") return !isPemText(certificate) && !certificate.startsWith("pkcs11:");
    return certificate instanceof Uint8Array && looksLikePfx(certificate);
  },
  async open(init, { logger }) {
    return (await import("./source.js")).openPkcs12Source(init, logger);
  },
};
