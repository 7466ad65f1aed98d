import type { X509Certificate } from "node:crypto";
import type { CertificateInfo } from "../core/events.js";
import type { Identity } from "./identity-init.js";

function describe(certificate: X509Certificate, index: number): CertificateInfo {
  return {
    role: index === 0 ? "leaf" : "intermediate",
    index,
    subject: certificate.subject.split("\n").join(", "),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    notAfter: new Date(certificate.validTo),
  };
}

/** What events and metrics say of an identity's certificates: the leaf, then its intermediates in chain order. */
export function certificatesOf(identity: Pick<Identity, "certificate" | "chain">): CertificateInfo[] {
  return [identity.certificate, ...identity.chain].map(describe);
}
