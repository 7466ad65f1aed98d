import type { KeyObject, X509Certificate } from "node:crypto";
import { nodeCrypto } from "../core/node-builtins.js";
import { CertificateChainError, CertificateValidityError, InputFormatError, UnsupportedKeyError } from "../core/errors.js";
import type { Material } from "./material.js";
import { assertRuntimeSignsMlDsa, mlDsaOfCertificate, runtimeSignsMlDsa } from "./ml-dsa.js";
import { looksLikePem, type PemBlock, parsePem } from "./pem.js";
import { looksLikePfx } from "./sources/pkcs12/sniff.js";

/** Certificates found in one input, plus any private key block beside them. */
export interface ParsedCertificates {
  certificates: X509Certificate[];
  /** Private key blocks found in the same PEM (certificate + key in one file). */
  keyBlocks: PemBlock[];
}

/** Parses every certificate of a PEM bundle, or one DER certificate. */
export function parseCertificates(material: Material, option: string): ParsedCertificates {
  if (!looksLikePem(material.bytes)) {
    try {
      return { certificates: [new (nodeCrypto().X509Certificate)(material.bytes)], keyBlocks: [] };
    } catch (cause) {
      // Reached with a PKCS#12 file only when a private key is named besides (or as the chain): say what the file is.
      if (looksLikePfx(material.bytes)) {
        throw new InputFormatError(
          option,
          `${material.label} is a PKCS#12 file, which holds its own key: pass it as certificate alone, without privateKey (CLI: --certificate file.p12 without --private-key).`,
          { cause },
        );
      }
      throw new InputFormatError(
        option,
        `${material.label} is neither PEM nor a DER X.509 certificate. Pass a file or text starting with "-----BEGIN CERTIFICATE-----", or DER bytes.`,
        { cause },
      );
    }
  }
  const blocks = parsePem(material.bytes.toString("utf8"));
  const certificates: X509Certificate[] = [];
  const keyBlocks: PemBlock[] = [];
  for (const block of blocks) {
    if (block.label === "CERTIFICATE" || block.label === "TRUSTED CERTIFICATE") {
      try {
        certificates.push(new (nodeCrypto().X509Certificate)(block.der));
      } catch (cause) {
        throw new InputFormatError(
          option,
          `${material.label}: certificate block ${certificates.length + 1} is not a valid X.509 certificate (truncated or corrupted base64?). Export the certificate again.`,
          { cause },
        );
      }
    } else if (block.label.endsWith("PRIVATE KEY")) {
      keyBlocks.push(block);
    }
  }
  if (certificates.length === 0) {
    const found = blocks.length ? ` (found ${blocks.map((b) => b.label).join(", ")})` : "";
    throw new InputFormatError(option, `${material.label} holds no "-----BEGIN CERTIFICATE-----" block${found}. Pass the X.509 certificate in PEM or DER.`);
  }
  return { certificates, keyBlocks };
}

/** The certificate's public key; InputFormatError when its algorithm cannot be read. */
export function publicKeyOf(certificate: X509Certificate, option = "certificate"): KeyObject {
  try {
    return certificate.publicKey;
  } catch (cause) {
    const mlDsa = mlDsaOfCertificate(certificate.raw).key;
    if (mlDsa) assertRuntimeSignsMlDsa(mlDsa, `The key of the certificate ${describeCertificate(certificate)}`, option);
    throw new InputFormatError(
      option,
      `The public key of the certificate ${describeCertificate(certificate)} cannot be read (unknown or corrupted algorithm). Use an RSA, EC or ML-DSA certificate as issued by your CA.`,
      { cause },
    );
  }
}

/**
 * Checks what the DER alone tells before any key is read: a certificate
 * whose key or signature is ML-DSA needs a runtime that signs ML-DSA, and
 * cannot authenticate mutual TLS with AWS IoT, which accepts RSA and EC
 * client certificates only (signed with RSA or ECDSA).
 */
export function assertCertificateUsable(certificate: X509Certificate, role: string, option: string, mutualTls: boolean): void {
  const { key, signature } = mlDsaOfCertificate(certificate.raw);
  if (mutualTls && (key || signature)) {
    const what = key ? `has an ${key} key` : `is signed with ${signature}`;
    throw new UnsupportedKeyError(
      option,
      `The ${role} ${describeCertificate(certificate)} ${what}: AWS IoT accepts RSA and EC client certificates only (signed with RSA or ECDSA). Use an RSA or EC certificate with the IoT credential provider, or this one with IAM Roles Anywhere.`,
    );
  }
  if (key) assertRuntimeSignsMlDsa(key, `The key of the ${role} ${describeCertificate(certificate)}`, option);
}

/** The serial number in decimal, as SigV4-X509 credentials carry it. */
export function decimalSerial(certificate: X509Certificate): string {
  const hex = certificate.serialNumber;
  // Node writes a negative serial (RFC 5280 forbids them: only a damaged or hand-made certificate has one) with a minus sign.
  if (!/^[0-9A-Fa-f]+$/.test(hex)) {
    throw new InputFormatError(
      "certificate",
      `The certificate ${describeCertificate(certificate)} has a negative serial number, which RFC 5280 forbids and AWS refuses: have your CA issue it again.`,
    );
  }
  return BigInt(`0x${hex}`).toString(10);
}

/** A short human name of a certificate for messages: its subject and serial. */
export function describeCertificate(certificate: X509Certificate): string {
  return `"${certificate.subject.replace(/\n/g, ", ")}" (serial ${certificate.serialNumber})`;
}

/** Throws unless `now` lies within the certificate's validity period. */
export function assertValidAt(certificate: X509Certificate, now: Date, role: string): void {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now < notBefore) {
    throw new CertificateValidityError(
      `The ${role} ${describeCertificate(certificate)} is not valid until ${notBefore.toISOString()} (now ${now.toISOString()}). Check this machine's clock, or wait until then.`,
      notBefore,
      notAfter,
    );
  }
  if (now > notAfter) {
    throw new CertificateValidityError(
      `The ${role} ${describeCertificate(certificate)} expired on ${notAfter.toISOString()}. Renew it with your CA and point certcreds at the new file.`,
      notBefore,
      notAfter,
    );
  }
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false; // an issuer whose key cannot be read issued nothing we can verify
  }
}

/**
 * Orders the intermediates from the certificate's issuer upwards, and throws
 * if one does not link: AWS rejects a chain with a gap as an untrusted
 * certificate, which is far harder to diagnose from the service's answer.
 */
export function orderChain(leaf: X509Certificate, intermediates: X509Certificate[], now: Date): X509Certificate[] {
  // The same intermediate given twice (in a PKCS#12 file and --intermediates, or twice in a bundle) is one link.
  const remaining = intermediates.filter((certificate, index) => intermediates.findIndex((other) => other.raw.equals(certificate.raw)) === index);
  const ordered: X509Certificate[] = [];
  let current = leaf;
  while (remaining.length > 0) {
    const index = remaining.findIndex((candidate) => issued(candidate, current));
    if (index < 0) break;
    const [next] = remaining.splice(index, 1);
    ordered.push(next!);
    current = next!;
  }
  if (remaining.length > 0) {
    // An ML-DSA issuer cannot be verified without ML-DSA: say that rather than "does not link".
    if (!runtimeSignsMlDsa())
      for (const certificate of [current, ...remaining]) assertCertificateUsable(certificate, "intermediate certificate", "certificateChain", false);
    const where = ordered.length === 0 ? "the certificate" : `the intermediate ${describeCertificate(current)}`;
    throw new CertificateChainError(
      `certificateChain does not link to the certificate: ${remaining.map(describeCertificate).join(", ")} did not issue ${where}` +
        ` (expected issuer "${current.issuer.replace(/\n/g, ", ")}"). Pass the intermediates that issued this certificate, or leave certificateChain out if the trust anchor CA issued it directly.`,
    );
  }
  for (const certificate of ordered) assertValidAt(certificate, now, "intermediate certificate");
  return ordered;
}
