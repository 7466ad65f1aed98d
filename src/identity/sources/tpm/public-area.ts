import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";
import type { SigningAlgorithm } from "../../signer.js";
import { ALG, CURVE_NAMES, CURVES, DIGEST_SIZES, OBJECT } from "./constants.js";
import { TpmError } from "./errors.js";
import { MarshalError, Reader } from "./marshal.js";

/** Bounds of the fields of a public area: a 4096-bit modulus, a P-521 point, a SHA-512 policy. */
const MAX_MODULUS = 512;
const MAX_COORDINATE = 66;
const MAX_DIGEST = 64;

/** A key's public area (TPMT_PUBLIC), as far as signing needs it. */
export interface PublicArea {
  type: number;
  nameAlg: number;
  attributes: number;
  /** The scheme fixed in the key (TPM_ALG_NULL: the signer chooses) and its hash. */
  scheme: number;
  schemeHash: number | undefined;
  rsa?: { keyBits: number; exponent: number; modulus: Buffer };
  ecc?: { curve: number; x: Buffer; y: Buffer };
  /** The marshalled TPMT_PUBLIC, from which the key's name is computed. */
  bytes: Buffer;
}

/** The symmetric definition of a key (TPMT_SYM_DEF_OBJECT); its content does not matter for signing. */
function skipSymmetric(reader: Reader): void {
  const algorithm = reader.u16();
  if (algorithm === ALG.NULL) return;
  reader.u16(); // key bits, or the hash of XOR
  if (algorithm !== ALG.XOR) reader.u16(); // mode
}

/** Parses a TPMT_PUBLIC (the content of a TPM2B_PUBLIC). Throws MarshalError. */
export function parsePublicArea(bytes: Buffer, what: string): PublicArea {
  const reader = new Reader(bytes, what);
  const type = reader.u16();
  const nameAlg = reader.u16();
  const attributes = reader.u32();
  reader.sized(MAX_DIGEST, "authPolicy");
  if (type !== ALG.RSA && type !== ALG.ECC) {
    // A keyed-hash or symmetric object: nothing further is needed to refuse it.
    return { type, nameAlg, attributes, scheme: ALG.NULL, schemeHash: undefined, bytes };
  }
  skipSymmetric(reader);
  const scheme = reader.u16();
  let schemeHash: number | undefined;
  if (scheme !== ALG.NULL && scheme !== ALG.RSAES) schemeHash = reader.u16();
  if (scheme === ALG.ECDAA) reader.u16(); // count
  if (type === ALG.RSA) {
    const keyBits = reader.u16();
    const exponent = reader.u32();
    const modulus = reader.sized(MAX_MODULUS, "RSA modulus");
    reader.end();
    return { type, nameAlg, attributes, scheme, schemeHash, rsa: { keyBits, exponent, modulus }, bytes };
  }
  const curve = reader.u16();
  if (reader.u16() !== ALG.NULL) reader.u16(); // KDF and its hash
  const x = reader.sized(MAX_COORDINATE, "ECC point x");
  const y = reader.sized(MAX_COORDINATE, "ECC point y");
  reader.end();
  return { type, nameAlg, attributes, scheme, schemeHash, ecc: { curve, x, y }, bytes };
}

/** Parses a TPM2B_PUBLIC whose size must cover exactly `bytes`. Throws MarshalError. */
export function parseSizedPublic(bytes: Buffer, what: string): PublicArea {
  const reader = new Reader(bytes, what);
  const area = reader.sized(0xffff, "TPM2B_PUBLIC");
  reader.end();
  return parsePublicArea(area, what);
}

/** The key's name: its name algorithm, then the digest of its public area. Undefined for a name algorithm certcreds does not know. */
export function objectName(area: PublicArea): Buffer | undefined {
  const digest = DIGEST_SIZES[area.nameAlg];
  if (!digest) return undefined;
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(area.nameAlg);
  return Buffer.concat([prefix, nodeCrypto().createHash(digest.node).update(area.bytes).digest()]);
}

/** How certcreds signs with a key: the SigV4-X509 algorithm, the TPM scheme and hash, and the digest's size. */
export interface SigningProfile {
  algorithm: SigningAlgorithm;
  scheme: number;
  hash: number;
  /** The SHA-256 digest is zero-padded on the left to this size (ECDSA with a longer hash fixed in the key: the same integer). */
  digestSize: number;
  /** ECC coordinate size; 0 for RSA. */
  coordinateSize: number;
  /** `EC P-256`, `RSA 2048 bits`. */
  description: string;
}

/**
 * Checks that a key can sign what SigV4-X509 needs (RSASSA-SHA256, or
 * ECDSA over a SHA-256 digest on P-256/P-384) without asking the TPM, and
 * says how. Throws TpmError `no-sign` or `algorithm` naming the fix.
 */
export function signingProfile(area: PublicArea, label: string, option: string): SigningProfile {
  const unsupported = (what: string, fix = "Create an RSA (2048 bits or more) or ECC P-256/P-384 signing key, e.g. with `openssl genpkey -provider tpm2`.") =>
    new TpmError("algorithm", option, `${label} ${what}, which certcreds cannot sign SigV4-X509 with. ${fix}`);
  if (area.type !== ALG.RSA && area.type !== ALG.ECC)
    throw unsupported(`is a TPM object of type 0x${area.type.toString(16).padStart(4, "0")}, not an RSA or ECC key`);
  if (!DIGEST_SIZES[area.nameAlg]) throw unsupported(`has the name algorithm 0x${area.nameAlg.toString(16).padStart(4, "0")}`);
  if (!(area.attributes & OBJECT.sign)) {
    throw new TpmError(
      "no-sign",
      option,
      `${label} is not a signing key (its sign attribute is clear): create the key with the sign attribute (tpm2_create -a "…|sign").`,
    );
  }
  if (area.attributes & OBJECT.restricted) {
    throw new TpmError(
      "no-sign",
      option,
      `${label} is a restricted signing key (an attestation key), which signs only digests the TPM made: use an unrestricted signing key.`,
    );
  }
  if (!(area.attributes & OBJECT.userWithAuth))
    throw unsupported("needs a policy session to sign (userWithAuth is clear)", "Create the key with the userWithAuth attribute.");
  if (area.rsa) {
    const bits = area.rsa.modulus.length * 8;
    if (bits !== area.rsa.keyBits || bits === 0) throw unsupported(`has a ${bits}-bit modulus where its public area says ${area.rsa.keyBits}`);
    if (area.scheme !== ALG.NULL && !(area.scheme === ALG.RSASSA && area.schemeHash === ALG.SHA256)) {
      throw unsupported(`is bound to signature scheme 0x${area.scheme.toString(16).padStart(4, "0")} (SigV4-X509 needs RSASSA-PKCS1-v1_5 with SHA-256)`);
    }
    return { algorithm: "AWS4-X509-RSA-SHA256", scheme: ALG.RSASSA, hash: ALG.SHA256, digestSize: 32, coordinateSize: 0, description: `RSA ${bits} bits` };
  }
  const ecc = area.ecc!;
  const curve = CURVES.get(ecc.curve);
  if (!curve) throw unsupported(`is on the curve ${CURVE_NAMES.get(ecc.curve) ?? `0x${ecc.curve.toString(16).padStart(4, "0")}`}`);
  if (ecc.x.length > curve.size || ecc.y.length > curve.size) throw unsupported("has a public point larger than its curve");
  let hash: number = ALG.SHA256;
  if (area.scheme !== ALG.NULL) {
    const size = area.schemeHash === undefined ? undefined : DIGEST_SIZES[area.schemeHash]?.size;
    // A zero-padded SHA-256 digest is the same ECDSA integer as long as it is no longer than the curve.
    if (area.scheme !== ALG.ECDSA || size === undefined || size < 32 || size > curve.size) {
      throw unsupported(`is bound to a signature scheme other than ECDSA with SHA-256 (0x${area.scheme.toString(16).padStart(4, "0")})`);
    }
    hash = area.schemeHash!;
  }
  return {
    algorithm: "AWS4-X509-ECDSA-SHA256",
    scheme: ALG.ECDSA,
    hash,
    digestSize: DIGEST_SIZES[hash]!.size,
    coordinateSize: curve.size,
    description: `EC ${curve.name}`,
  };
}

/** The public key as a KeyObject (for the key ↔ certificate check and to verify what the TPM signed). */
export function publicKeyObject(area: PublicArea): KeyObject {
  if (area.rsa) {
    const exponent = Buffer.alloc(4);
    exponent.writeUInt32BE(area.rsa.exponent === 0 ? 65537 : area.rsa.exponent);
    let e = exponent;
    while (e.length > 1 && e[0] === 0) e = e.subarray(1);
    return nodeCrypto().createPublicKey({ key: { kty: "RSA", n: area.rsa.modulus.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
  }
  const { curve, x, y } = area.ecc!;
  const { name, size } = CURVES.get(curve)!;
  const pad = (value: Buffer) => Buffer.concat([Buffer.alloc(size - value.length), value]).toString("base64url");
  return nodeCrypto().createPublicKey({ key: { kty: "EC", crv: name, x: pad(x), y: pad(y) }, format: "jwk" });
}

export { MarshalError };
