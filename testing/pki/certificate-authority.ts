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

import { randomBytes, type KeyObject, X509Certificate } from "node:crypto";
import { generateTestKeyPair } from "./key-pairs.js";
import type { CertificateAuthorityOptions, IssueOptions, TestCertificate, TestCertificateAuthority } from "./types.js";
import { buildCertificate, distinguishedName, keyIdentifier, type Signer } from "./x509-certificate.js";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A random positive serial with bit 158 set, so it is always 159 bits: 20 octets, 48 decimal digits. */
function randomSerial(): bigint {
  const bytes = randomBytes(20);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return BigInt(`0x${bytes.toString("hex")}`);
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function describe(der: Buffer, serialNumber: bigint, privateKey?: KeyObject): TestCertificate {
  const result: TestCertificate = {
    certificatePem: toPem(der, "CERTIFICATE"),
    certificateDer: der,
    certificate: new X509Certificate(der),
    serialNumber,
  };
  if (privateKey) {
    result.privateKey = privateKey;
    result.privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
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
    const keys = opts.publicKey || opts.spki ? undefined : await generateTestKeyPair(opts.keyType ?? "ec-p256");
    const publicKey = opts.publicKey ?? keys?.publicKey;
    const spki = opts.spki ?? publicKey?.export({ type: "spki", format: "der" });
    if (!spki) throw new TypeError("No public key to certify");
    const now = Date.now();
    const serialNumber = opts.serialNumber ?? randomSerial();
    const subjectName = distinguishedName(opts.commonName ?? defaultCommonName);
    const der = buildCertificate(
      {
        subjectName,
        spki,
        keyType: publicKey?.asymmetricKeyType,
        serialNumber,
        notBefore: opts.notBefore ?? new Date(now - HOUR_MS),
        // Past the 30-day expiry warning of certcreds, so a test or demo warns only when it asks for it.
        notAfter: opts.notAfter ?? new Date(now + 90 * DAY_MS),
        ...(ca ? { ca } : {}),
        dnsNames: list(opts.dnsNames),
        ipAddresses: list(opts.ipAddresses),
        extendedKeyUsage: list(opts.extendedKeyUsage),
      },
      signer,
      signer.privateKey,
    );
    return { issued: describe(der, serialNumber, keys?.privateKey), subjectName };
  }

  return {
    ...certificate,
    async issue(opts = {}) {
      return (await certify(opts, undefined, "certcreds test device")).issued;
    },
    async createIntermediate(opts = {}) {
      if (opts.publicKey || opts.spki) throw new TypeError("createIntermediate generates its own key; publicKey and spki are not supported");
      const pathLength = opts.pathLength === undefined ? {} : { pathLength: opts.pathLength };
      const { issued, subjectName: name } = await certify(opts, pathLength, "certcreds test intermediate CA");
      const { privateKey, privateKeyPem } = issued;
      if (!privateKey || !privateKeyPem) throw new Error("unreachable: an intermediate always has a generated key");
      return makeAuthority({ ...issued, privateKey, privateKeyPem }, name, keyIdentifier(issued.certificate.publicKey.export({ type: "spki", format: "der" })));
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
export async function createTestCertificateAuthority(opts: CertificateAuthorityOptions = {}): Promise<TestCertificateAuthority> {
  const { privateKey, publicKey } = await generateTestKeyPair(opts.keyType ?? "ec-p256");
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const subjectName = distinguishedName(opts.commonName ?? "certcreds test root CA");
  const spki = publicKey.export({ type: "spki", format: "der" });
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
    "self",
    privateKey,
  );
  const certificate = describe(der, serialNumber, privateKey);
  return makeAuthority({ ...certificate, privateKey, privateKeyPem: certificate.privateKeyPem ?? "" }, subjectName, keyIdentifier(spki));
}

/** One value or a list, as a list (undefined stays undefined): tests write `extendedKeyUsage: "serverAuth"`. */
function list<T>(value: T | T[] | undefined): T[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}
