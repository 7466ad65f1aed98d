import type { JsonWebKey, KeyObject } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";
import { children, readTlv, sequence, type Tlv } from "../../der.js";

/**
 * Imports an unencrypted RSA or EC private key from DER through JWK.
 *
 * Why: OpenSSL 3's generic decoder spends ~300 µs trying decoders for each
 * PEM/DER key, while a JWK import builds the key from its numbers (~5 µs RSA,
 * ~50 µs EC). Keys are loaded at every refresh, so this is on the path to the
 * first credentials. Anything this small reader does not recognise returns
 * undefined and goes to OpenSSL's decoder as usual; the key/certificate pair
 * check that follows catches a wrong key either way.
 */
export function importPrivateKeyDer(der: Buffer, type: "pkcs8" | "pkcs1" | "sec1"): KeyObject | undefined {
  try {
    const jwk = type === "pkcs8" ? fromPkcs8(der) : type === "pkcs1" ? fromRsaPrivateKey(der) : fromEcPrivateKey(der, undefined);
    return jwk ? nodeCrypto().createPrivateKey({ key: jwk, format: "jwk" }) : undefined;
  } catch {
    return undefined;
  }
}

/** Unsigned big-endian integer bytes as base64url, without the sign padding. */
function integer(tlv: Tlv | undefined): string {
  if (tlv?.tag !== 0x02) throw new Error("not an INTEGER");
  let bytes = tlv.value;
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.toString("base64url");
}

const RSA_ENCRYPTION = "2a864886f70d010101";
const EC_PUBLIC_KEY = "2a8648ce3d0201";
const CURVES: Record<string, { crv: string; size: number }> = {
  "2a8648ce3d030107": { crv: "P-256", size: 32 },
  "2b81040022": { crv: "P-384", size: 48 },
  "2b81040023": { crv: "P-521", size: 66 },
};

function fromPkcs8(der: Buffer): JsonWebKey | undefined {
  const [version, algorithm, privateKey] = sequence(der);
  if (version?.tag !== 0x02 || algorithm?.tag !== 0x30 || privateKey?.tag !== 0x04) return undefined;
  const [oid, parameters] = children(algorithm.value);
  if (oid?.tag !== 0x06) return undefined;
  const algorithmOid = oid.value.toString("hex");
  if (algorithmOid === RSA_ENCRYPTION) return fromRsaPrivateKey(privateKey.value);
  if (algorithmOid === EC_PUBLIC_KEY && parameters?.tag === 0x06) return fromEcPrivateKey(privateKey.value, parameters.value.toString("hex"));
  return undefined;
}

function fromRsaPrivateKey(der: Buffer): JsonWebKey | undefined {
  const fields = sequence(der);
  // Two-prime keys only (version 0, nine integers); multi-prime ones go to OpenSSL.
  if (fields.length !== 9 || integer(fields[0]) !== "AA") return undefined;
  const [, n, e, d, p, q, dp, dq, qi] = fields.map((f) => integer(f));
  return { kty: "RSA", n, e, d, p, q, dp, dq, qi };
}

function fromEcPrivateKey(der: Buffer, curveFromPkcs8: string | undefined): JsonWebKey | undefined {
  const fields = sequence(der);
  const [version, secret] = fields;
  if (integer(version) !== "AQ" || secret?.tag !== 0x04) return undefined;
  let curveOid = curveFromPkcs8;
  let publicPoint: Buffer | undefined;
  for (const field of fields.slice(2)) {
    const inner = readTlv(field.value, 0);
    if (field.tag === 0xa0 && inner.tag === 0x06) curveOid ??= inner.value.toString("hex");
    if (field.tag === 0xa1 && inner.tag === 0x03) publicPoint = inner.value.subarray(1); // skip the unused-bits byte
  }
  const curve = curveOid ? CURVES[curveOid] : undefined;
  // Without the uncompressed public point JWK cannot be built cheaply: leave it to OpenSSL.
  if (!curve || !publicPoint || publicPoint[0] !== 0x04 || publicPoint.length !== 1 + 2 * curve.size) return undefined;
  if (secret.value.length > curve.size) return undefined;
  const d = Buffer.concat([Buffer.alloc(curve.size - secret.value.length), secret.value]);
  return {
    kty: "EC",
    crv: curve.crv,
    d: d.toString("base64url"),
    x: publicPoint.subarray(1, 1 + curve.size).toString("base64url"),
    y: publicPoint.subarray(1 + curve.size).toString("base64url"),
  };
}
