/**
 * ML-DSA (FIPS 204) private keys in the three PKCS#8 forms of RFC 9881:
 * the 32-byte seed (what Node.js exports), the expanded key, or both.
 *
 * Node's crypto exports the seed only, and no OpenSSL here writes the other
 * forms, so the expanded key is computed from the seed with FIPS 204's
 * ML-DSA.KeyGen_internal (Algorithm 6) written out below. It is checked at
 * every call: the public key it derives must be the one Node derived, so a
 * mistake here cannot go unnoticed.
 *
 * @module
 */

import { createHash, createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { bitString, implicit, integer, octetString, oid, readElement, sequence } from "./der.js";

/** The ML-DSA parameter sets: matrix dimensions k × l, and η. */
const PARAMETERS: Record<MlDsaKeyType, { oid: string; k: number; l: number; eta: number }> = {
  "ml-dsa-44": { oid: "2.16.840.1.101.3.4.3.17", k: 4, l: 4, eta: 2 },
  "ml-dsa-65": { oid: "2.16.840.1.101.3.4.3.18", k: 6, l: 5, eta: 4 },
  "ml-dsa-87": { oid: "2.16.840.1.101.3.4.3.19", k: 8, l: 7, eta: 2 },
};

/** An ML-DSA key type as Node names it. */
export type MlDsaKeyType = "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87";

/** How a PKCS#8 ML-DSA private key holds the key (RFC 9881 §6). */
export type MlDsaPrivateKeyForm = "seed" | "expanded" | "both";

const Q = 8380417;
const D = 13;

/** Exact for a, b < q: the product stays below 2^53. */
function mulmod(a: number, b: number): number {
  return (a * b) % Q;
}

function modq(a: number): number {
  const r = a % Q;
  return r < 0 ? r + Q : r;
}

function bitReverse8(i: number): number {
  let r = 0;
  for (let bit = 0; bit < 8; bit++) r |= ((i >> bit) & 1) << (7 - bit);
  return r;
}

function powmod(base: number, exponent: number): number {
  let result = 1;
  let b = base;
  for (let e = exponent; e > 0; e >>= 1) {
    if (e & 1) result = mulmod(result, b);
    b = mulmod(b, b);
  }
  return result;
}

/** ζ^brv(i) for ζ = 1753, the 512th root of unity mod q. */
const ZETAS = Array.from({ length: 256 }, (_, i) => powmod(1753, bitReverse8(i)));

/** FIPS 204 Algorithm 41. */
function ntt(w: number[]): number[] {
  const a = [...w];
  let m = 0;
  for (let len = 128; len >= 1; len >>= 1) {
    for (let start = 0; start < 256; start += 2 * len) {
      const z = ZETAS[++m]!;
      for (let j = start; j < start + len; j++) {
        const t = mulmod(z, a[j + len]!);
        a[j + len] = modq(a[j]! - t);
        a[j] = (a[j]! + t) % Q;
      }
    }
  }
  return a;
}

/** FIPS 204 Algorithm 42. */
function inverseNtt(w: number[]): number[] {
  const a = [...w];
  let m = 256;
  for (let len = 1; len < 256; len <<= 1) {
    for (let start = 0; start < 256; start += 2 * len) {
      const z = Q - ZETAS[--m]!;
      for (let j = start; j < start + len; j++) {
        const t = a[j]!;
        a[j] = (t + a[j + len]!) % Q;
        a[j + len] = mulmod(z, modq(t - a[j + len]!));
      }
    }
  }
  return a.map((x) => mulmod(8347681, x)); // 256⁻¹ mod q
}

function shake(algorithm: "shake128" | "shake256", data: Buffer, length: number): Buffer {
  return createHash(algorithm, { outputLength: length }).update(data).digest();
}

/** FIPS 204 Algorithm 30 (RejNTTPoly): coefficients of Â below q from SHAKE128. The prefix of a longer XOF output is the same, so a rare shortfall just asks for more. */
function rejectionSampleNtt(seed: Buffer): number[] {
  for (let length = 840; ; length *= 2) {
    const stream = shake("shake128", seed, length);
    const out: number[] = [];
    for (let i = 0; i + 3 <= stream.length && out.length < 256; i += 3) {
      const z = stream[i]! | (stream[i + 1]! << 8) | ((stream[i + 2]! & 0x7f) << 16);
      if (z < Q) out.push(z);
    }
    if (out.length === 256) return out;
  }
}

/** FIPS 204 Algorithm 31 (RejBoundedPoly), with CoeffFromHalfByte (Algorithm 15). */
function rejectionSampleBounded(seed: Buffer, eta: number): number[] {
  const coefficient = (b: number): number | undefined => (eta === 2 ? (b < 15 ? 2 - (b % 5) : undefined) : b < 9 ? 4 - b : undefined);
  for (let length = 272; ; length *= 2) {
    const stream = shake("shake256", seed, length);
    const out: number[] = [];
    for (let i = 0; i < stream.length && out.length < 256; i++) {
      const z0 = coefficient(stream[i]! & 15);
      const z1 = coefficient(stream[i]! >> 4);
      if (z0 !== undefined) out.push(z0);
      if (z1 !== undefined && out.length < 256) out.push(z1);
    }
    if (out.length === 256) return out;
  }
}

/** Little-endian bit packing of values that fit `bits` bits (SimpleBitPack / BitPack). */
function pack(values: readonly number[], bits: number): Buffer {
  const out = Buffer.alloc((values.length * bits) / 8);
  let accumulator = 0;
  let held = 0;
  let position = 0;
  for (const value of values) {
    accumulator |= value << held;
    held += bits;
    while (held >= 8) {
      out[position++] = accumulator & 0xff;
      accumulator >>>= 8;
      held -= 8;
    }
  }
  return out;
}

/**
 * FIPS 204 ML-DSA.KeyGen_internal: the public key and the expanded private
 * key (skEncode) of a 32-byte seed ξ.
 */
export function expandMlDsaSeed(keyType: MlDsaKeyType, seed: Buffer): { publicKey: Buffer; expandedKey: Buffer } {
  const { k, l, eta } = PARAMETERS[keyType];
  if (seed.length !== 32) throw new RangeError("An ML-DSA seed is 32 bytes");
  const h = shake("shake256", Buffer.concat([seed, Buffer.from([k, l])]), 128);
  const rho = h.subarray(0, 32);
  const rhoPrime = h.subarray(32, 96);
  const key = h.subarray(96, 128);
  const s1 = Array.from({ length: l }, (_, r) => rejectionSampleBounded(Buffer.concat([rhoPrime, Buffer.from([r, 0])]), eta));
  const s2 = Array.from({ length: k }, (_, r) => rejectionSampleBounded(Buffer.concat([rhoPrime, Buffer.from([r + l, 0])]), eta));
  const s1Hat = s1.map((poly) => ntt(poly.map(modq)));
  const t1: number[] = [];
  const t0: number[] = [];
  for (let r = 0; r < k; r++) {
    const sum = new Array<number>(256).fill(0);
    for (let s = 0; s < l; s++) {
      const a = rejectionSampleNtt(Buffer.concat([rho, Buffer.from([s, r])]));
      const b = s1Hat[s]!;
      for (let i = 0; i < 256; i++) sum[i] = (sum[i]! + mulmod(a[i]!, b[i]!)) % Q;
    }
    const t = inverseNtt(sum).map((value, i) => modq(value + s2[r]![i]!));
    for (const value of t) {
      // Power2Round: value = t1·2^13 + t0 with t0 in (−2^12, 2^12].
      let low = value & ((1 << D) - 1);
      if (low > 1 << (D - 1)) low -= 1 << D;
      t1.push((value - low) >> D);
      t0.push(low);
    }
  }
  const publicKey = Buffer.concat([rho, pack(t1, 10)]);
  const tr = shake("shake256", publicKey, 64);
  const etaBits = eta === 2 ? 3 : 4;
  const expandedKey = Buffer.concat([
    rho,
    key,
    tr,
    pack(
      s1.flat().map((c) => eta - c),
      etaBits,
    ),
    pack(
      s2.flat().map((c) => eta - c),
      etaBits,
    ),
    pack(
      t0.map((c) => (1 << (D - 1)) - c),
      D,
    ),
  ]);
  return { publicKey, expandedKey };
}

function mlDsaKeyType(key: KeyObject): MlDsaKeyType {
  const type = key.asymmetricKeyType as string | undefined;
  if (type === undefined || !(type in PARAMETERS)) throw new TypeError(`Not an ML-DSA key: ${String(type)}`);
  return type as MlDsaKeyType;
}

/** The seed of a private key, read from Node's PKCS#8 export (seed or both form). */
function seedOf(privateKey: KeyObject): Buffer {
  const der = privateKey.export({ type: "pkcs8", format: "der" });
  const outer = readElement(der, 0);
  const version = readElement(der, outer.contentStart);
  const algorithm = readElement(der, version.end);
  const wrapper = readElement(der, algorithm.end);
  const choice = readElement(der, wrapper.contentStart);
  const first = der[wrapper.contentStart];
  if (first === 0x80) return Buffer.from(der.subarray(choice.contentStart, choice.end));
  if (first === 0x30) {
    const seed = readElement(der, choice.contentStart);
    return Buffer.from(der.subarray(seed.contentStart, seed.end));
  }
  throw new TypeError("This runtime exported the ML-DSA key without its seed");
}

/** An ML-DSA key pair as DER, built without Node's crypto knowing ML-DSA (so on any Node.js). */
export interface MlDsaTestKey {
  keyType: MlDsaKeyType;
  /** The 32-byte seed ξ. */
  seed: Buffer;
  /** The public key as a DER SubjectPublicKeyInfo: what {@link IssueOptions.spki} certifies. */
  spki: Buffer;
  /** The PKCS#8 DER of the private key in a form of RFC 9881. */
  privateKeyDer(form: MlDsaPrivateKeyForm): Buffer;
  /** The same as `-----BEGIN PRIVATE KEY-----` PEM. */
  privateKeyPem(form: MlDsaPrivateKeyForm): string;
}

/**
 * An ML-DSA key from a seed (random by default), computed here: tests of
 * what a runtime without ML-DSA says about such keys need them there too.
 */
export function createMlDsaTestKey(keyType: MlDsaKeyType, seed: Buffer = randomBytes(32)): MlDsaTestKey {
  const { oid: algorithm } = PARAMETERS[keyType];
  const { publicKey, expandedKey } = expandMlDsaSeed(keyType, seed);
  const algorithmIdentifier = sequence(oid(algorithm));
  const privateKeyDer = (form: MlDsaPrivateKeyForm): Buffer => {
    // seed [0] IMPLICIT OCTET STRING | expandedKey OCTET STRING | both SEQUENCE { seed, expandedKey }
    const inner = form === "seed" ? implicit(0, seed) : form === "expanded" ? octetString(expandedKey) : sequence(octetString(seed), octetString(expandedKey));
    return sequence(integer(0), algorithmIdentifier, octetString(inner));
  };
  return {
    keyType,
    seed,
    spki: sequence(algorithmIdentifier, bitString(publicKey)),
    privateKeyDer,
    privateKeyPem: (form) => {
      const lines =
        privateKeyDer(form)
          .toString("base64")
          .match(/.{1,64}/g) ?? [];
      return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
    },
  };
}

/**
 * The PKCS#8 DER of a Node.js ML-DSA private key in the given form. The
 * expansion is checked against Node's own public key, so a mistake in it
 * fails here rather than in the test that uses the key.
 */
export function mlDsaPrivateKeyDer(privateKey: KeyObject, form: MlDsaPrivateKeyForm): Buffer {
  const key = createMlDsaTestKey(mlDsaKeyType(privateKey), seedOf(privateKey));
  if (!createPublicKey(privateKey).export({ type: "spki", format: "der" }).equals(key.spki)) {
    throw new Error(`The ${key.keyType} key expansion disagrees with Node's public key`);
  }
  return key.privateKeyDer(form);
}

/** {@link mlDsaPrivateKeyDer} as `-----BEGIN PRIVATE KEY-----` PEM. */
export function mlDsaPrivateKeyPem(privateKey: KeyObject, form: MlDsaPrivateKeyForm): string {
  const lines =
    mlDsaPrivateKeyDer(privateKey, form)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}
