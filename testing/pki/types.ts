/**
 * The public shapes of the test PKI: key types, issue options, generated
 * certificates and authorities.
 *
 * @module
 */

import type { KeyObject, X509Certificate } from "node:crypto";

/**
 * Key types the test PKI can generate.
 *
 * `rsa-1024` and `ed25519` exist for negative tests: IAM Roles Anywhere does
 * not accept them for signing, so a client (or emulator) should reject them.
 * `ml-dsa-44`, `ml-dsa-65` and `ml-dsa-87` (post-quantum, FIPS 204) need
 * Node.js 24.6 or later; asking for one on an older runtime rejects with a
 * TypeError that says so.
 */
export type TestKeyType =
  | "rsa-2048"
  | "rsa-3072"
  | "rsa-4096"
  | "ec-p256"
  | "ec-p384"
  | "ec-p521"
  | "rsa-1024"
  | "ed25519"
  | "ml-dsa-44"
  | "ml-dsa-65"
  | "ml-dsa-87";

/** Options for a certificate issued by a {@link TestCertificateAuthority}. */
export interface IssueOptions {
  /** Subject CN. Default `"certcreds test device"` (leaf) or `"certcreds test intermediate CA"`. */
  commonName?: string;
  /** Type of the key generated for the certificate. Default `'ec-p256'`. Ignored when `publicKey` or `spki` is given. */
  keyType?: TestKeyType;
  /**
   * Certify an existing public key (e.g. one whose private half lives in an
   * HSM or a PKCS#11 token). No key is generated and the result carries no
   * `privateKey`.
   */
  publicKey?: KeyObject;
  /**
   * Certify a public key given as DER SubjectPublicKeyInfo, such as one this
   * runtime cannot load (an ML-DSA key before Node.js 24.6, see
   * `createMlDsaTestKey`). No key is generated; the result carries no `privateKey`.
   */
  spki?: Buffer;
  /** Start of validity. Default: one hour ago (tolerates small clock skew). */
  notBefore?: Date;
  /** End of validity. Default: 90 days from now (past certcreds' 30-day expiry warning). */
  notAfter?: Date;
  /** Serial number. Default: a random positive 159-bit integer (48 decimal digits). */
  serialNumber?: bigint;
  /** DNS names for the subjectAltName extension: one or a list. */
  dnsNames?: string | string[];
  /** IPv4 or IPv6 addresses for the subjectAltName extension: one or a list. */
  ipAddresses?: string | string[];
  /** Extended key usages, one or a list; the extension is omitted when absent. */
  extendedKeyUsage?: ExtendedKeyUsage | ExtendedKeyUsage[];
}

/** An extended key usage the test PKI can write. */
export type ExtendedKeyUsage = "serverAuth" | "clientAuth";

/** A generated certificate, in every form a test may need. */
export interface TestCertificate {
  /** PEM (`-----BEGIN CERTIFICATE-----`). */
  certificatePem: string;
  /** DER bytes. */
  certificateDer: Buffer;
  /** Parsed by Node. */
  certificate: X509Certificate;
  /** The serial number as an integer. */
  serialNumber: bigint;
  /** The private key, unless the certificate was issued for an external `publicKey` or `spki`. */
  privateKey?: KeyObject;
  /** The private key as PKCS#8 PEM, unless the certificate was issued for an external `publicKey` or `spki`. */
  privateKeyPem?: string;
}

/** A certificate authority able to issue leaves and intermediates. */
export interface TestCertificateAuthority extends TestCertificate {
  privateKey: KeyObject;
  privateKeyPem: string;
  /** Issues an end-entity certificate (basicConstraints cA=false). */
  issue(opts?: IssueOptions): Promise<TestCertificate>;
  /**
   * Issues a subordinate CA certificate and returns it as an authority.
   * `pathLength` sets basicConstraints pathLenConstraint. `publicKey` is not
   * allowed: the returned authority must be able to sign.
   */
  createIntermediate(opts?: IssueOptions & { pathLength?: number }): Promise<TestCertificateAuthority>;
}

/** Options for {@link createTestCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** Subject (and issuer) CN. Default `"certcreds test root CA"`. */
  commonName?: string;
  /** Default `'ec-p256'`. */
  keyType?: TestKeyType;
  /** Default: one hour ago. */
  notBefore?: Date;
  /** Default: ten years from now. */
  notAfter?: Date;
}
