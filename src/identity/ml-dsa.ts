import type { KeyObject } from "node:crypto";
import { UnsupportedRuntimeError } from "../core/errors.js";
import { nodeCrypto } from "../core/node-builtins.js";
import { children, readTlv, sequence, type Tlv } from "./der.js";

/**
 * ML-DSA (FIPS 204), the post-quantum signature IAM Roles Anywhere accepts
 * (`AWS4-X509-MLDSA`). Node's crypto signs it from 24.6 on; older runtimes
 * either cannot read such keys at all (OpenSSL 3.0: "unsupported") or read
 * them without being able to sign (Node 22 on OpenSSL 3.5). Either way the
 * user must hear "newer Node" rather than an OpenSSL message, so the
 * algorithm is read from the DER here, before anything reaches crypto.
 */
export type MlDsaVariant = "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";

/** The release of Node.js whose crypto signs ML-DSA. */
export const ML_DSA_NODE = "Node.js 24.6";

/** Contents of the OIDs 2.16.840.1.101.3.4.3.17 / 18 / 19. */
const OIDS: Record<string, MlDsaVariant> = {
  "608648016503040311": "ML-DSA-44",
  "608648016503040312": "ML-DSA-65",
  "608648016503040313": "ML-DSA-87",
};

/** Expanded private key sizes (FIPS 204 table 2), by variant. */
export const EXPANDED_KEY_BYTES: Record<MlDsaVariant, number> = { "ML-DSA-44": 2560, "ML-DSA-65": 4032, "ML-DSA-87": 4896 };

/** How a PKCS#8 ML-DSA private key is stored (RFC 9881): the seed, the expanded key, or both. */
export type MlDsaKeyForm = "seed" | "expanded" | "both";

/** The variant an AlgorithmIdentifier names (an ML-DSA identifier has no parameters), or undefined. */
export function mlDsaOfAlgorithm(algorithm: Tlv | undefined): MlDsaVariant | undefined {
  if (algorithm?.tag !== 0x30) return undefined;
  const [oid] = children(algorithm.value);
  return oid?.tag === 0x06 ? OIDS[oid.value.toString("hex")] : undefined;
}

/** The variant of a DER SubjectPublicKeyInfo, or undefined (not ML-DSA, or malformed). */
export function mlDsaOfSpki(der: Buffer): MlDsaVariant | undefined {
  try {
    return mlDsaOfAlgorithm(sequence(der)[0]);
  } catch {
    return undefined;
  }
}

/** The variant and storage form of an unencrypted DER PKCS#8 key, or undefined (not ML-DSA, or malformed). */
export function mlDsaOfPkcs8(der: Buffer): { variant: MlDsaVariant; form: MlDsaKeyForm | undefined } | undefined {
  try {
    const [version, algorithm, privateKey] = sequence(der);
    if (version?.tag !== 0x02 || privateKey?.tag !== 0x04) return undefined;
    const variant = mlDsaOfAlgorithm(algorithm);
    return variant ? { variant, form: keyForm(privateKey.value, variant) } : undefined;
  } catch {
    return undefined;
  }
}

function keyForm(inner: Buffer, variant: MlDsaVariant): MlDsaKeyForm | undefined {
  try {
    const choice = readTlv(inner, 0);
    if (choice.end !== inner.length) return undefined;
    // seed [0] IMPLICIT OCTET STRING (32) | expandedKey OCTET STRING | both SEQUENCE { seed, expandedKey }
    if (choice.tag === 0x80) return choice.value.length === 32 ? "seed" : undefined;
    if (choice.tag === 0x04) return choice.value.length === EXPANDED_KEY_BYTES[variant] ? "expanded" : undefined;
    if (choice.tag !== 0x30) return undefined;
    const [seed, expanded, extra] = children(choice.value);
    return seed?.tag === 0x04 && seed.value.length === 32 && expanded?.tag === 0x04 && expanded.value.length === EXPANDED_KEY_BYTES[variant] && !extra
      ? "both"
      : undefined;
  } catch {
    return undefined;
  }
}

/** What a DER certificate's subject key and signature are, as far as ML-DSA goes. */
export function mlDsaOfCertificate(der: Buffer): { key: MlDsaVariant | undefined; signature: MlDsaVariant | undefined } {
  try {
    const [tbs, signatureAlgorithm] = sequence(der);
    if (tbs?.tag !== 0x30) return { key: undefined, signature: undefined };
    const fields = children(tbs.value);
    // TBSCertificate: [0] version (absent in v1), serial, signature, issuer, validity, subject, subjectPublicKeyInfo, …
    const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
    const key = spki?.tag === 0x30 ? mlDsaOfAlgorithm(children(spki.value)[0]) : undefined;
    return { key, signature: mlDsaOfAlgorithm(signatureAlgorithm) };
  } catch {
    return { key: undefined, signature: undefined };
  }
}

/**
 * The variant of a key object: from its type where this runtime names it,
 * else from its DER (Node 22 loads ML-DSA keys as keys of no type).
 */
export function mlDsaOfKey(key: KeyObject): MlDsaVariant | undefined {
  const type = key.asymmetricKeyType as string | undefined;
  if (type !== undefined) return type.startsWith("ml-dsa-") ? (`ML-DSA-${type.slice(7)}` as MlDsaVariant) : undefined;
  try {
    if (key.type === "public") return mlDsaOfSpki(key.export({ type: "spki", format: "der" }));
    return mlDsaOfPkcs8(key.export({ type: "pkcs8", format: "der" }))?.variant;
  } catch {
    return undefined;
  }
}

/** The PKCS#8 of an ML-DSA-44 key whose seed is all zeros: what the runtime probe imports. */
const PROBE_KEY = Buffer.concat([Buffer.from("3034020100300b060960864801650304031104228020", "hex"), Buffer.alloc(32)]);

let signsMlDsa: boolean | undefined;

/** Whether this runtime's crypto signs ML-DSA (probed once: Node ≥ 24.6 does; Bun, Deno and older Node do not). */
export function runtimeSignsMlDsa(): boolean {
  if (signsMlDsa === undefined) {
    try {
      signsMlDsa = nodeCrypto().createPrivateKey({ key: PROBE_KEY, format: "der", type: "pkcs8" }).asymmetricKeyType === ("ml-dsa-44" as string);
    } catch {
      signsMlDsa = false;
    }
  }
  return signsMlDsa;
}

/** `Node.js v22.12.0`, `Bun 1.2.0`: the runtime as messages name it. */
export function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `Bun ${versions.bun}`;
  if (versions.deno) return `Deno ${versions.deno}`;
  return `Node.js ${process.version}`;
}

/** Throws the typed error for an ML-DSA `what` (a key, a certificate) unless this runtime signs ML-DSA. */
export function assertRuntimeSignsMlDsa(variant: MlDsaVariant, what: string, option: string): void {
  if (runtimeSignsMlDsa()) return;
  throw new UnsupportedRuntimeError(
    option,
    `${what} is ${variant}, which needs ${ML_DSA_NODE} or later (this is ${runtimeName()}). Run certcreds with ${ML_DSA_NODE}+, or use an RSA or EC key.`,
    ML_DSA_NODE,
  );
}
