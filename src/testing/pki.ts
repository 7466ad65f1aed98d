/**
 * A throwaway PKI generated at test time: certificate authorities,
 * intermediates and end-entity certificates that OpenSSL (and therefore
 * Node's `X509Certificate` and `tls`) accept as real.
 *
 * Nothing is read from or written to disk: keys live in memory only, so no
 * private key ever ends up in a repository.
 *
 * @module
 */

import { createHash, generateKeyPair, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
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
} from './der.js';

/**
 * Key types the test PKI can generate.
 *
 * `rsa-1024` and `ed25519` exist for negative tests: IAM Roles Anywhere does
 * not accept them for signing, so a client (or emulator) should reject them.
 */
export type TestKeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-1024' | 'ed25519';

/** Options for a certificate issued by a {@link TestCertificateAuthority}. */
export interface IssueOptions {
  /** Subject CN. Default `"certcreds test device"` (leaf) or `"certcreds test intermediate CA"`. */
  commonName?: string;
  /** Type of the key generated for the certificate. Default `'ec-p256'`. Ignored when `publicKey` is given. */
  keyType?: TestKeyType;
  /**
   * Certify an existing public key (e.g. one whose private half lives in an
   * HSM or a PKCS#11 token). No key is generated and the result carries no
   * `privateKey`.
   */
  publicKey?: KeyObject;
  /** Start of validity. Default: one hour ago (tolerates small clock skew). */
  notBefore?: Date;
  /** End of validity. Default: one day from now. */
  notAfter?: Date;
  /** Serial number. Default: a random positive 159-bit integer (48 decimal digits). */
  serialNumber?: bigint;
  /** DNS names for the subjectAltName extension. */
  dnsNames?: string[];
  /** IPv4 or IPv6 addresses for the subjectAltName extension. */
  ipAddresses?: string[];
  /** Extended key usages; the extension is omitted when absent. */
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
}

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
  /** The private key, unless the certificate was issued for an external `publicKey`. */
  privateKey?: KeyObject;
  /** The private key as PKCS#8 PEM, unless the certificate was issued for an external `publicKey`. */
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

const OID = {
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
} as const;

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Generates a key pair of the given type with Node's asynchronous key
 * generation (RSA-4096 takes seconds; the async API keeps the event loop free).
 */
export function generateTestKeyPair(keyType: TestKeyType): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (err) reject(err);
      else resolve({ privateKey, publicKey });
    };
    switch (keyType) {
      case 'rsa-1024':
      case 'rsa-2048':
      case 'rsa-3072':
      case 'rsa-4096':
        generateKeyPair('rsa', { modulusLength: Number(keyType.slice(4)), publicExponent: 0x10001 }, done);
        return;
      case 'ec-p256':
      case 'ec-p384':
      case 'ec-p521':
        generateKeyPair('ec', { namedCurve: `P-${keyType.slice(4)}` }, done);
        return;
      case 'ed25519':
        generateKeyPair('ed25519', {}, done);
        return;
      default:
        reject(new TypeError(`Unknown key type: ${String(keyType)}`));
    }
  });
}

/** How an issuer key signs: the AlgorithmIdentifier to embed and the digest for `crypto.sign`. */
interface SignatureScheme {
  algorithmIdentifier: Buffer;
  digest: string | null;
}

function signatureSchemeFor(issuerKey: KeyObject): SignatureScheme {
  switch (issuerKey.asymmetricKeyType) {
    case 'rsa':
      // RFC 4055: the parameters of sha256WithRSAEncryption are an explicit NULL.
      return { algorithmIdentifier: sequence(oid(OID.sha256WithRSAEncryption), nullValue()), digest: 'sha256' };
    case 'ec': {
      // RFC 5758: ECDSA identifiers carry no parameters. Pair the digest with the
      // curve strength, as public CAs do (P-384/P-521 sign with SHA-384).
      const curve = issuerKey.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return { algorithmIdentifier: sequence(oid(OID.ecdsaWithSHA256)), digest: 'sha256' };
      if (curve === 'secp384r1' || curve === 'secp521r1') {
        return { algorithmIdentifier: sequence(oid(OID.ecdsaWithSHA384)), digest: 'sha384' };
      }
      throw new TypeError(`Unsupported issuer curve: ${String(curve)}`);
    }
    case 'ed25519':
      // RFC 8410: Ed25519 hashes internally, so crypto.sign takes a null digest.
      return { algorithmIdentifier: sequence(oid(OID.ed25519)), digest: null };
    default:
      throw new TypeError(`Unsupported issuer key type: ${String(issuerKey.asymmetricKeyType)}`);
  }
}

/** `Name` holding a single CN, as UTF8String (RFC 5280 recommends UTF8String). */
function distinguishedName(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

/**
 * Key identifier per RFC 5280 §4.2.1.2 method (1): SHA-1 of the
 * subjectPublicKey BIT STRING contents (without tag, length and unused-bits octet).
 */
function keyIdentifier(spki: Buffer): Buffer {
  const outer = readElement(spki, 0);
  const algorithm = readElement(spki, outer.contentStart);
  const keyBits = readElement(spki, algorithm.end);
  return createHash('sha1')
    .update(spki.subarray(keyBits.contentStart + 1, keyBits.end))
    .digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN equal to its DEFAULT (critical DEFAULT FALSE).
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function ipAddressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address) || address.includes('%')) throw new TypeError(`Not an IP address: ${address}`);
  let text = address;
  let ipv4Tail: number[] = [];
  const embedded = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    // "::ffff:192.0.2.1": parse the dotted tail separately, hold its place with two groups.
    ipv4Tail = (embedded[2] ?? '').split('.').map(Number);
    text = `${embedded[1]}0:0`;
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const [head = '', tail] = text.split('::');
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const all = [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(group, i * 2);
  if (ipv4Tail.length === 4) Buffer.from(ipv4Tail).copy(bytes, 12);
  return bytes;
}

/** A random positive serial with bit 158 set, so it is always 159 bits: 20 octets, 48 decimal digits. */
function randomSerial(): bigint {
  const bytes = randomBytes(20);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return BigInt(`0x${bytes.toString('hex')}`);
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** What a certificate needs to know about whoever signs it. */
interface Signer {
  name: Buffer;
  privateKey: KeyObject;
  keyId: Buffer;
}

interface CertificateSpec {
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
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
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
    : spec.keyType === 'rsa'
      ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment]
      : [KEY_USAGE.digitalSignature];
  extensions.push(extension(OID.keyUsage, true, namedBitString(usage)));

  extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId)));
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
  extensions.push(extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, signer.keyId))));

  if (spec.extendedKeyUsage?.length) {
    extensions.push(
      extension(OID.extendedKeyUsage, false, sequence(...spec.extendedKeyUsage.map((usage) => oid(OID[usage])))),
    );
  }

  const altNames = [
    // GeneralName: dNSName [2] IMPLICIT IA5String, iPAddress [7] IMPLICIT OCTET STRING.
    ...(spec.dnsNames ?? []).map((name) => implicit(2, Buffer.from(name, 'ascii'))),
    ...(spec.ipAddresses ?? []).map((address) => implicit(7, ipAddressBytes(address))),
  ];
  if (altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...altNames)));

  return explicit(3, sequence(...extensions));
}

function buildCertificate(spec: CertificateSpec, signerOrSelf: Signer | 'self', signingKey: KeyObject): Buffer {
  const subjectKeyId = keyIdentifier(spec.spki);
  const signer: Signer =
    signerOrSelf === 'self' ? { name: spec.subjectName, privateKey: signingKey, keyId: subjectKeyId } : signerOrSelf;
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

function describe(der: Buffer, serialNumber: bigint, privateKey?: KeyObject): TestCertificate {
  const result: TestCertificate = {
    certificatePem: toPem(der, 'CERTIFICATE'),
    certificateDer: der,
    certificate: new X509Certificate(der),
    serialNumber,
  };
  if (privateKey) {
    result.privateKey = privateKey;
    result.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  return result;
}

function makeAuthority(
  certificate: TestCertificate & { privateKey: KeyObject; privateKeyPem: string },
  subjectName: Buffer,
  keyId: Buffer,
): TestCertificateAuthority {
  const signer: Signer = { name: subjectName, privateKey: certificate.privateKey, keyId };

  async function certify(
    opts: IssueOptions,
    ca: { pathLength?: number } | undefined,
    defaultCommonName: string,
  ): Promise<{ issued: TestCertificate; subjectName: Buffer }> {
    const keys = opts.publicKey ? undefined : await generateTestKeyPair(opts.keyType ?? 'ec-p256');
    const publicKey = opts.publicKey ?? keys?.publicKey;
    if (!publicKey) throw new TypeError('No public key to certify');
    const now = Date.now();
    const serialNumber = opts.serialNumber ?? randomSerial();
    const subjectName = distinguishedName(opts.commonName ?? defaultCommonName);
    const der = buildCertificate(
      {
        subjectName,
        spki: publicKey.export({ type: 'spki', format: 'der' }),
        keyType: publicKey.asymmetricKeyType,
        serialNumber,
        notBefore: opts.notBefore ?? new Date(now - HOUR_MS),
        notAfter: opts.notAfter ?? new Date(now + DAY_MS),
        ...(ca ? { ca } : {}),
        dnsNames: opts.dnsNames,
        ipAddresses: opts.ipAddresses,
        extendedKeyUsage: opts.extendedKeyUsage,
      },
      signer,
      signer.privateKey,
    );
    return { issued: describe(der, serialNumber, keys?.privateKey), subjectName };
  }

  return {
    ...certificate,
    async issue(opts = {}) {
      return (await certify(opts, undefined, 'certcreds test device')).issued;
    },
    async createIntermediate(opts = {}) {
      if (opts.publicKey) throw new TypeError('createIntermediate generates its own key; publicKey is not supported');
      const pathLength = opts.pathLength === undefined ? {} : { pathLength: opts.pathLength };
      const { issued, subjectName: name } = await certify(opts, pathLength, 'certcreds test intermediate CA');
      const { privateKey, privateKeyPem } = issued;
      if (!privateKey || !privateKeyPem) throw new Error('unreachable: an intermediate always has a generated key');
      return makeAuthority(
        { ...issued, privateKey, privateKeyPem },
        name,
        keyIdentifier(issued.certificate.publicKey.export({ type: 'spki', format: 'der' })),
      );
    },
  };
}

/**
 * Creates a self-signed root certificate authority with a freshly generated key.
 *
 * @example
 * ```ts
 * const ca = await createTestCertificateAuthority();
 * const device = await ca.issue({ commonName: 'device-1', extendedKeyUsage: ['clientAuth'] });
 * ```
 */
export async function createTestCertificateAuthority(
  opts: CertificateAuthorityOptions = {},
): Promise<TestCertificateAuthority> {
  const { privateKey, publicKey } = await generateTestKeyPair(opts.keyType ?? 'ec-p256');
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const subjectName = distinguishedName(opts.commonName ?? 'certcreds test root CA');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serialNumber = randomSerial();
  const der = buildCertificate(
    {
      subjectName,
      spki,
      keyType: publicKey.asymmetricKeyType,
      serialNumber,
      notBefore: opts.notBefore ?? new Date(now - HOUR_MS),
      notAfter: opts.notAfter ?? notAfter,
      ca: {},
    },
    'self',
    privateKey,
  );
  const certificate = describe(der, serialNumber, privateKey);
  return makeAuthority(
    { ...certificate, privateKey, privateKeyPem: certificate.privateKeyPem ?? '' },
    subjectName,
    keyIdentifier(spki),
  );
}
