/**
 * From what a PKCS#12 file holds to an identity: the private key, the
 * certificate of that key, and the intermediates that link it upwards.
 */
import type { KeyObject, X509Certificate } from "node:crypto";
import { InputFormatError, KeyMismatchError } from "../../../core/errors.js";
import { type Logger, logLine } from "../../../core/logger.js";
import { nodeCrypto } from "../../../core/node-builtins.js";
import type { Material } from "../../material.js";
import { parsePrivateKey } from "../file/private-key.js";
import { passwordNeeded, passwordWrong, pkcs12Error } from "./errors.js";
import { openPfx, PasswordMismatch, type Pkcs12Contents } from "./pfx.js";

/** A PKCS#12 file opened: the certificate and chain as PEM (for the identity's usual reading), and the key. */
export interface OpenedPkcs12 {
  /** The certificate first, then the intermediates that link it, as PEM. */
  certificates: Material;
  leaf: X509Certificate;
  key: KeyObject;
  keyLabel: string;
}

/** Opens a PKCS#12 file; every failure is a typed error naming `material.label`. */
export async function openPkcs12(material: Material, password: string | undefined, logger: Logger | undefined): Promise<OpenedPkcs12> {
  const { label } = material;
  let contents: Pkcs12Contents;
  try {
    contents = await openPfx(material.bytes, password);
  } catch (error) {
    if (error instanceof PasswordMismatch) throw password ? passwordWrong(label, error.check) : passwordNeeded(label);
    throw pkcs12Error(error, label);
  }
  try {
    return identityOf(contents, material, logger);
  } finally {
    // The decrypted key bytes are not needed once the key object holds the key.
    for (const key of contents.keys) key.der.fill(0);
  }
}

function identityOf(contents: Pkcs12Contents, material: Material, logger: Logger | undefined): OpenedPkcs12 {
  const { label } = material;
  if (contents.keys.length === 0) {
    throw new InputFormatError(
      "certificate",
      `${label} is a PKCS#12 file without a private key: export it again with the key ("openssl pkcs12 -export -in cert.pem -inkey key.pem"), or pass the certificate and key as PEM.`,
    );
  }
  if (contents.keys.length > 1) {
    throw new InputFormatError(
      "certificate",
      `${label} is a PKCS#12 file holding ${contents.keys.length} private keys: export one file per identity, holding only this certificate's key.`,
    );
  }
  const [found] = contents.keys;
  const keyLabel = `private key in ${label}`;
  let key: KeyObject;
  try {
    key = parsePrivateKey({ bytes: found!.der, label: keyLabel }, undefined, "certificate");
  } catch (cause) {
    if (!(cause instanceof InputFormatError)) throw cause;
    throw new InputFormatError("certificate", `${keyLabel} is not a readable PKCS#8 private key. Export the file again.`, { cause });
  }
  const X509 = nodeCrypto().X509Certificate;
  const certificates = contents.certificates.map(({ der, localKeyId }, index) => {
    try {
      return { certificate: new X509(der), localKeyId };
    } catch (cause) {
      throw new InputFormatError(
        "certificate",
        `${label}: certificate ${index + 1} of the PKCS#12 file is not a valid X.509 certificate. Export the file again.`,
        {
          cause,
        },
      );
    }
  });
  // The key's certificate: the one with the key's localKeyId (how PKCS#12 pairs them), else the one of its public key.
  const byId = found!.localKeyId ? certificates.filter((c) => c.localKeyId?.equals(found!.localKeyId!)) : [];
  const leaf = (byId.length === 1 ? byId[0] : certificates.find((c) => holdsKey(c.certificate, key)))?.certificate;
  if (!leaf) {
    throw new KeyMismatchError(
      `${label} is a PKCS#12 file whose private key has no certificate in it (${certificates.length} certificate(s), none of that key): ` +
        'export it again with the key\'s certificate ("openssl pkcs12 -export -in cert.pem -inkey key.pem").',
    );
  }
  const others = certificates.map((c) => c.certificate).filter((c) => c !== leaf);
  const chain = linkedChain(leaf, others);
  const ignored = others.length - chain.length;
  if (ignored > 0) {
    logLine(
      logger,
      "debug",
      "pkcs12-certificates-ignored",
      `certcreds: ${label}: ${ignored} certificate(s) of the PKCS#12 file are not intermediates of its certificate (a root CA, or others): not sent`,
      { label, ignored },
    );
  }
  const pem = [leaf, ...chain].map((c) => c.toString()).join("");
  return {
    certificates: { bytes: Buffer.from(pem), label: `${label} (PKCS#12)`, ...(material.path !== undefined ? { path: material.path } : {}) },
    leaf,
    key,
    keyLabel,
  };
}

function holdsKey(certificate: X509Certificate, key: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(key);
  } catch {
    return false;
  }
}

function issuedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * The intermediates from the certificate's issuer upwards, as far as the
 * file has them. A self-signed root is left out: the verifier holds its
 * trust anchor, and sending it only adds bytes. Certificates that link to
 * nothing (another identity's, a CA bundle) are left out rather than
 * failing: the file may hold more than this identity.
 */
function linkedChain(leaf: X509Certificate, candidates: X509Certificate[]): X509Certificate[] {
  const remaining = [...candidates];
  const chain: X509Certificate[] = [];
  for (let current = leaf; ; ) {
    const index = remaining.findIndex((candidate) => issuedBy(current, candidate));
    if (index < 0) return chain;
    const [issuer] = remaining.splice(index, 1);
    if (issuedBy(issuer!, issuer!)) return chain;
    chain.push(issuer!);
    current = issuer!;
  }
}
