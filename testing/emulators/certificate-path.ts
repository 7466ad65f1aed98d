/**
 * Certification path building and validity checks, as a relying party such
 * as IAM Roles Anywhere performs them: from the end-entity certificate,
 * through the intermediates the client supplied, up to a trust anchor.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";

/** Paths longer than this are refused (also bounds the work a hostile chain can cause). */
const MAX_INTERMEDIATES = 8;

/** Whether `issuer` issued `cert`: names/key identifiers/key usage match (OpenSSL's check) and the signature verifies. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    // verify() throws for key types it cannot use; that is "not issued by".
    return false;
  }
}

/**
 * Builds the path `[leaf, ...intermediates used, anchor]`, or `undefined` when
 * no anchor can be reached. Anchors are tried before intermediates at every
 * step, so the shortest path wins and a chain that (needlessly) includes the
 * root still works. Only CA certificates may serve as intermediates.
 */
export function buildCertificationPath(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): X509Certificate[] | undefined {
  const path = [leaf];
  const unused = [...intermediates];
  let current = leaf;
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth++) {
    const anchor = anchors.find((candidate) => isIssuedBy(current, candidate));
    if (anchor) return [...path, anchor];
    const next = unused.findIndex((candidate) => candidate.ca && isIssuedBy(current, candidate));
    const intermediate = unused[next];
    if (!intermediate) return undefined;
    unused.splice(next, 1);
    path.push(intermediate);
    current = intermediate;
  }
  return undefined;
}

/** A certificate's subject CN, or `undefined` when the subject has none. */
export function commonNameOf(cert: X509Certificate): string | undefined {
  const line = cert.subject.split("\n").find((entry) => entry.startsWith("CN="));
  return line?.slice(3);
}

/** Human-readable identification of a certificate for error messages: subject and decimal serial. */
export function describeCertificate(cert: X509Certificate): string {
  return `'${cert.subject.replace(/\n/g, ", ")}' (serial ${serialOf(cert)})`;
}

/** The serial number as a bigint (Node reports it as upper-case hex). */
export function serialOf(cert: X509Certificate): bigint {
  return BigInt(`0x${cert.serialNumber}`);
}

/** Why a certificate is outside its validity period at `nowMs`, or `undefined` if it is valid. */
export function validityError(cert: X509Certificate, nowMs: number): string | undefined {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (nowMs > notAfter) {
    return `Certificate expired: ${describeCertificate(cert)} is not valid after ${new Date(notAfter).toISOString()}`;
  }
  if (nowMs < notBefore) {
    return `Certificate not yet valid: ${describeCertificate(cert)} is not valid before ${new Date(notBefore).toISOString()}`;
  }
  return undefined;
}

/**
 * Parses PEM text that may hold several certificates (a bundle), or passes an
 * already parsed certificate through.
 */
export function parseCertificates(input: string | X509Certificate): X509Certificate[] {
  if (input instanceof X509Certificate) return [input];
  const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw new TypeError("No PEM certificate found");
  return blocks.map((pem) => new X509Certificate(pem));
}

/** Strict standard base64 (padded, no whitespace) to DER, or `undefined`. */
export function decodeStrictBase64(value: string): Buffer | undefined {
  if (value.length === 0 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, "base64");
}

/** A DER certificate from strict base64, or `undefined` when either layer is malformed. */
export function certificateFromBase64(value: string): X509Certificate | undefined {
  const der = decodeStrictBase64(value);
  if (!der) return undefined;
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}
