import type { KeyObject, X509Certificate } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";
import { InputFormatError, KeyMismatchError, PassphraseError, UnsupportedKeyError, UnsupportedRuntimeError } from "../../../core/errors.js";
import { describeCertificate, publicKeyOf } from "../../certificate.js";
import { privateKeyIsConsistent } from "./key-consistency.js";
import { importPrivateKeyDer } from "./key-import.js";
import type { Material } from "../../material.js";
import { assertRuntimeSignsMlDsa, EXPANDED_KEY_BYTES, ML_DSA_NODE, mlDsaOfKey, mlDsaOfPkcs8, runtimeName, runtimeSignsMlDsa } from "../../ml-dsa.js";
import { looksLikePem, type PemBlock, parsePem } from "../../pem.js";

const SUPPORTED_CURVES: Record<string, string> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

const DER_TYPES: Record<string, "pkcs8" | "pkcs1" | "sec1"> = {
  "PRIVATE KEY": "pkcs8",
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
};

const KEY_FIX =
  "Use an RSA key of 2048 bits or more or an EC key on P-256, P-384 or P-521 (what IAM Roles Anywhere and AWS IoT accept), or ML-DSA-44, -65 or -87 (IAM Roles Anywhere).";

const ML_DSA_TYPES = new Set(["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"]);

/** Parses a private key from PEM (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1) or DER. */
export function parsePrivateKey(material: Material, passphrase: string | undefined, option = "privateKey"): KeyObject {
  if (looksLikePem(material.bytes)) {
    const blocks = parsePem(material.bytes.toString("utf8")).filter((b) => b.label.endsWith("PRIVATE KEY"));
    if (blocks.length === 0) {
      throw new InputFormatError(
        option,
        `${material.label} holds no "-----BEGIN ... PRIVATE KEY-----" block. Pass the private key in PEM (PKCS#8, PKCS#1 or SEC1) or DER.`,
      );
    }
    if (blocks.length > 1) {
      throw new InputFormatError(
        option,
        `${material.label} holds ${blocks.length} private keys. Pass a file with exactly one private key, the one of the certificate.`,
      );
    }
    return parsePemKeyBlock(blocks[0]!, material.label, passphrase, option);
  }
  return parseDerKey(material, passphrase, option);
}

/** The PEM text a key was parsed from, when it was plain PEM: TLS can take it as it is. */
const plainPem = new WeakMap<KeyObject, string>();

/**
 * The key as PEM for Node's TLS (which takes no KeyObject): the text it was read
 * from when that was plain PEM, saving an export (~85 µs) on every mutual-TLS fetch.
 */
export function keyPemForTls(key: KeyObject): string {
  return plainPem.get(key) ?? (key.export({ type: "pkcs8", format: "pem" }) as string);
}

/** Parses one PEM private key block (also used for a key found beside a certificate). */
export function parsePemKeyBlock(block: PemBlock, label: string, passphrase: string | undefined, option: string): KeyObject {
  if (block.label === "OPENSSH PRIVATE KEY" || block.label === "DSA PRIVATE KEY") {
    throw new UnsupportedKeyError(option, `${label} is an ${block.label.replace(" PRIVATE KEY", "")} key. ${KEY_FIX}`);
  }
  const encrypted = block.label === "ENCRYPTED PRIVATE KEY" || block.text.includes("Proc-Type: 4,ENCRYPTED");
  if (encrypted && passphrase === undefined) {
    throw new PassphraseError(
      `${label} is encrypted. Pass its passphrase with the passphrase option (CLI: --pkcs8-password), or decrypt it with "openssl pkcs8".`,
    );
  }
  // Plain blocks go through the fast JWK import when they can (see key-import.ts).
  const derType = encrypted || block.der.length === 0 ? undefined : DER_TYPES[block.label];
  const mlDsa = derType === "pkcs8" ? mlDsaOfPkcs8(block.der) : undefined;
  if (mlDsa) assertRuntimeSignsMlDsa(mlDsa.variant, label, option);
  let key: KeyObject;
  try {
    if (derType) {
      key = importPrivateKeyDer(block.der, derType) ?? nodeCrypto().createPrivateKey({ key: block.der, format: "der", type: derType });
      plainPem.set(key, block.text);
    } else {
      key = nodeCrypto().createPrivateKey({ key: block.text, format: "pem", ...(encrypted ? { passphrase } : {}) });
    }
  } catch (cause) {
    if (encrypted) throw decryptionError(cause, label, option);
    if (mlDsa) throw unreadableMlDsa(mlDsa, label, option, cause);
    throw new InputFormatError(option, `${label} is not a readable private key (corrupted base64 or unknown format). Export it again as PKCS#8 PEM.`, {
      cause,
    });
  }
  return named(key, label, option);
}

/**
 * The key, unless this runtime loaded it without naming its type: Node 22
 * on OpenSSL 3.5 decrypts an encrypted ML-DSA key into a key it cannot sign with.
 */
function named(key: KeyObject, label: string, option: string): KeyObject {
  if (key.asymmetricKeyType === undefined) {
    const mlDsa = mlDsaOfKey(key);
    if (mlDsa) assertRuntimeSignsMlDsa(mlDsa, label, option);
  }
  return key;
}

/**
 * Why an encrypted key did not open. OpenSSL says "unsupported" when the
 * passphrase was right but the key inside is of a type it cannot decode —
 * on a runtime without ML-DSA, almost surely an ML-DSA key — and, on a
 * runtime that decodes every type, when the passphrase was wrong.
 */
function decryptionError(cause: unknown, label: string, option: string): Error {
  if ((cause as { code?: unknown })?.code === "ERR_OSSL_UNSUPPORTED") {
    if (!runtimeSignsMlDsa()) {
      return new UnsupportedRuntimeError(
        option,
        `${label} was decrypted but holds a key type this runtime cannot read: an ML-DSA key needs ${ML_DSA_NODE} or later (this is ${runtimeName()}). Run certcreds with ${ML_DSA_NODE}+, or use an RSA or EC key.`,
        ML_DSA_NODE,
      );
    }
    // A runtime that reads every key type certcreds takes (Node 24, OpenSSL 3.5) says "unsupported" for a
    // wrong passphrase too: its decoders find no key type in what the wrong key decrypted to.
  }
  return new PassphraseError(`${label} could not be decrypted: the passphrase is wrong. Check the passphrase option.`, { cause });
}

/** An ML-DSA PKCS#8 that OpenSSL refused: say which part is wrong. */
function unreadableMlDsa(mlDsa: NonNullable<ReturnType<typeof mlDsaOfPkcs8>>, label: string, option: string, cause: unknown): InputFormatError {
  const { variant, form } = mlDsa;
  const why =
    form === undefined
      ? `its private key is neither a 32-byte seed, a ${EXPANDED_KEY_BYTES[variant]}-byte expanded key nor both (RFC 9881)`
      : form === "both"
        ? "its seed and expanded key do not belong together"
        : `its ${form === "seed" ? "seed" : "expanded key"} is corrupted`;
  return new InputFormatError(option, `${label} is a ${variant} key that cannot be read: ${why}. Export it again as PKCS#8 PEM.`, { cause });
}

function parseDerKey(material: Material, passphrase: string | undefined, option: string): KeyObject {
  const attempts = [{ type: "pkcs8" as const, ...(passphrase !== undefined ? { passphrase } : {}) }, { type: "pkcs1" as const }, { type: "sec1" as const }];
  let lastCause: unknown;
  const mlDsa = mlDsaOfPkcs8(material.bytes);
  if (mlDsa) {
    assertRuntimeSignsMlDsa(mlDsa.variant, material.label, option);
    try {
      return nodeCrypto().createPrivateKey({ key: material.bytes, format: "der", type: "pkcs8" });
    } catch (cause) {
      throw unreadableMlDsa(mlDsa, material.label, option, cause);
    }
  }
  if (passphrase === undefined) {
    for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
      const key = importPrivateKeyDer(material.bytes, type);
      if (key) return key;
    }
  }
  let pkcs8Cause: unknown;
  for (const attempt of attempts) {
    let key: KeyObject;
    try {
      key = nodeCrypto().createPrivateKey({ key: material.bytes, format: "der", ...attempt });
    } catch (cause) {
      lastCause = cause;
      pkcs8Cause ??= cause;
      continue;
    }
    return named(key, material.label, option);
  }
  if (passphrase !== undefined && (pkcs8Cause as { code?: unknown })?.code === "ERR_OSSL_UNSUPPORTED")
    throw decryptionError(pkcs8Cause, material.label, option);
  // An encrypted PKCS#8 DER without passphrase fails every attempt; say so when it is likely.
  const hint = passphrase === undefined ? " If it is an encrypted PKCS#8 key, pass its passphrase." : " If it is encrypted, check the passphrase.";
  throw new InputFormatError(option, `${material.label} is neither PEM nor a DER private key (PKCS#8, PKCS#1 or SEC1).${hint}`, { cause: lastCause });
}

/** Throws unless the key is of a type and size AWS accepts for certificates. */
export function assertSupportedKey(key: KeyObject, label: string, option = "privateKey"): void {
  const type = key.asymmetricKeyType;
  if (type === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) {
      throw new UnsupportedKeyError(option, `${label} is an RSA key of ${bits} bits, too short. ${KEY_FIX}`);
    }
    return;
  }
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "unknown";
    if (!(curve in SUPPORTED_CURVES)) {
      throw new UnsupportedKeyError(option, `${label} is an EC key on curve ${curve}. ${KEY_FIX}`);
    }
    return;
  }
  if (type !== undefined && ML_DSA_TYPES.has(type)) return;
  // A runtime that loads ML-DSA keys without naming their type (Node 22 on OpenSSL 3.5) cannot sign with them.
  const mlDsa = type === undefined ? mlDsaOfKey(key) : undefined;
  if (mlDsa) assertRuntimeSignsMlDsa(mlDsa, label, option);
  throw new UnsupportedKeyError(option, `${label} is an ${String(type ?? "unknown").toUpperCase()} key. ${KEY_FIX}`);
}

function matches(key: KeyObject, certificate: X509Certificate): boolean {
  const certificateKey = publicKeyOf(certificate);
  try {
    // checkPrivateKey lets OpenSSL compare the pair directly: far cheaper than exporting and comparing both keys.
    return key.type === "private" ? certificate.checkPrivateKey(key) : key.equals(certificateKey);
  } catch {
    return false;
  }
}

/** Throws unless the (public half of the) key is the certificate's public key. */
export function assertKeyMatchesCertificate(key: KeyObject, certificate: X509Certificate, keyLabel: string): void {
  const match = matches(key, certificate);
  if (match && !privateKeyIsConsistent(key)) {
    throw new InputFormatError(
      "privateKey",
      `The private key (${keyLabel}) is inconsistent: the public key it holds is not the one its private part makes, so its signatures would not verify (a corrupted or altered file). Export the key again from where it was made.`,
    );
  }
  if (!match) {
    throw new KeyMismatchError(
      `The private key (${keyLabel}) does not belong to the certificate ${describeCertificate(certificate)}. ` +
        "Pass the key generated with this certificate's request, or the certificate issued for this key.",
    );
  }
}
