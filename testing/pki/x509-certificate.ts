/**
 * A DER X.509 v3 certificate built field by field (RFC 5280) and signed by
 * its issuer's key: the signature algorithm, names, key identifiers and the
 * extensions a CA or a leaf carries.
 *
 * @module
 */

import { createHash, type KeyObject, sign } from "node:crypto";
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  namedBitString,
  nullValue,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  utf8String,
  x509Time,
} from "./der.js";
import { ipAddressBytes } from "./ip-address.js";

const OID = {
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  extendedKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ed25519: "1.3.101.112",
  "ml-dsa-44": "2.16.840.1.101.3.4.3.17",
  "ml-dsa-65": "2.16.840.1.101.3.4.3.18",
  "ml-dsa-87": "2.16.840.1.101.3.4.3.19",
} as const;

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** How an issuer key signs: the AlgorithmIdentifier to embed and the digest for `crypto.sign`. */
interface SignatureScheme {
  algorithmIdentifier: Buffer;
  digest: string | null;
}

function signatureSchemeFor(issuerKey: KeyObject): SignatureScheme {
  // A string: @types/node 20 does not name the ML-DSA types.
  const type = issuerKey.asymmetricKeyType as string | undefined;
  switch (type) {
    case "rsa":
      // RFC 4055: the parameters of sha256WithRSAEncryption are an explicit NULL.
      return { algorithmIdentifier: sequence(oid(OID.sha256WithRSAEncryption), nullValue()), digest: "sha256" };
    case "ec": {
      // RFC 5758: ECDSA identifiers carry no parameters. Pair the digest with the
      // curve strength, as public CAs do (P-384/P-521 sign with SHA-384).
      const curve = issuerKey.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1") return { algorithmIdentifier: sequence(oid(OID.ecdsaWithSHA256)), digest: "sha256" };
      if (curve === "secp384r1" || curve === "secp521r1") {
        return { algorithmIdentifier: sequence(oid(OID.ecdsaWithSHA384)), digest: "sha384" };
      }
      throw new TypeError(`Unsupported issuer curve: ${String(curve)}`);
    }
    case "ed25519":
      // RFC 8410: Ed25519 hashes internally, so crypto.sign takes a null digest.
      return { algorithmIdentifier: sequence(oid(OID.ed25519)), digest: null };
    case "ml-dsa-44":
    case "ml-dsa-65":
    case "ml-dsa-87":
      // RFC 9881: the identifier has absent parameters; pure ML-DSA over the TBS, empty context.
      return { algorithmIdentifier: sequence(oid(OID[type])), digest: null };
    default:
      throw new TypeError(`Unsupported issuer key type: ${String(type)}`);
  }
}

/** `Name` holding a single CN, as UTF8String (RFC 5280 recommends UTF8String). */
export function distinguishedName(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

/**
 * Key identifier per RFC 5280 §4.2.1.2 method (1): SHA-1 of the
 * subjectPublicKey BIT STRING contents (without tag, length and unused-bits octet).
 */
export function keyIdentifier(spki: Buffer): Buffer {
  const outer = readElement(spki, 0);
  const algorithm = readElement(spki, outer.contentStart);
  const keyBits = readElement(spki, algorithm.end);
  return createHash("sha1")
    .update(spki.subarray(keyBits.contentStart + 1, keyBits.end))
    .digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN equal to its DEFAULT (critical DEFAULT FALSE).
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** What a certificate needs to know about whoever signs it. */
export interface Signer {
  name: Buffer;
  privateKey: KeyObject;
  keyId: Buffer;
}

export interface CertificateSpec {
  subjectName: Buffer;
  spki: Buffer;
  keyType: string | undefined;
  serialNumber: bigint;
  notBefore: Date;
  notAfter: Date;
  /** Present for CA certificates. */
  ca?: { pathLength?: number };
  dnsNames?: string[];
  ipAddresses?: string[];
  extendedKeyUsage?: ("serverAuth" | "clientAuth")[];
}

function buildExtensions(spec: CertificateSpec, subjectKeyId: Buffer, signer: Signer): Buffer {
  const extensions: Buffer[] = [];

  const basic: Buffer[] = [];
  if (spec.ca) {
    basic.push(boolean(true));
    if (spec.ca.pathLength !== undefined) basic.push(integer(spec.ca.pathLength));
  }
  extensions.push(extension(OID.basicConstraints, true, sequence(...basic)));

  const usage: number[] = spec.ca
    ? [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]
    : spec.keyType === "rsa"
      ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment]
      : [KEY_USAGE.digitalSignature];
  extensions.push(extension(OID.keyUsage, true, namedBitString(usage)));

  extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId)));
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
  extensions.push(extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, signer.keyId))));

  if (spec.extendedKeyUsage?.length) {
    extensions.push(extension(OID.extendedKeyUsage, false, sequence(...spec.extendedKeyUsage.map((usage) => oid(OID[usage])))));
  }

  const altNames = [
    // GeneralName: dNSName [2] IMPLICIT IA5String, iPAddress [7] IMPLICIT OCTET STRING.
    ...(spec.dnsNames ?? []).map((name) => implicit(2, Buffer.from(name, "ascii"))),
    ...(spec.ipAddresses ?? []).map((address) => implicit(7, ipAddressBytes(address))),
  ];
  if (altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...altNames)));

  return explicit(3, sequence(...extensions));
}

export function buildCertificate(spec: CertificateSpec, signerOrSelf: Signer | "self", signingKey: KeyObject): Buffer {
  const subjectKeyId = keyIdentifier(spec.spki);
  const signer: Signer = signerOrSelf === "self" ? { name: spec.subjectName, privateKey: signingKey, keyId: subjectKeyId } : signerOrSelf;
  const scheme = signatureSchemeFor(signer.privateKey);
  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(spec.serialNumber),
    scheme.algorithmIdentifier,
    signer.name, // issuer = the signer's subject, byte for byte
    sequence(x509Time(spec.notBefore), x509Time(spec.notAfter)),
    spec.subjectName,
    spec.spki,
    buildExtensions(spec, subjectKeyId, signer),
  );
  const signature = sign(scheme.digest, tbs, signer.privateKey);
  return sequence(tbs, scheme.algorithmIdentifier, bitString(signature));
}
