import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";

/** OpenSSL's names of the curves certcreds takes, by their JWK names. */
const ECDH_CURVES: Record<string, string> = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" };

const bigint = (base64url: string | undefined): bigint => BigInt(`0x${Buffer.from(base64url ?? "", "base64url").toString("hex") || "0"}`);

/**
 * Whether a private key's public half is the one its private half makes. A
 * key file carries both (an EC key its public point, an RSA key its modulus
 * beside the primes), and OpenSSL takes the stored public half as it is: a
 * corrupted or altered file whose public half is the certificate's passes
 * the key ↔ certificate comparison, then signs what the service cannot
 * verify. Recomputing it costs tens of microseconds (an EC point
 * multiplication, a product of two primes). Key types without a stored
 * public half to disagree with (ML-DSA from its seed) are consistent.
 */
export function privateKeyIsConsistent(key: KeyObject): boolean {
  if (key.type !== "private" || (key.asymmetricKeyType !== "ec" && key.asymmetricKeyType !== "rsa")) return true;
  try {
    const jwk = key.export({ format: "jwk" });
    if (jwk.kty === "EC") {
      const curve = ECDH_CURVES[jwk.crv ?? ""];
      if (!curve || !jwk.d || !jwk.x || !jwk.y) return false;
      const ecdh = nodeCrypto().createECDH(curve);
      ecdh.setPrivateKey(Buffer.from(jwk.d, "base64url"));
      const derived = ecdh.getPublicKey();
      return derived.equals(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]));
    }
    const [n, e, d, p, q] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q].map(bigint) as [bigint, bigint, bigint, bigint, bigint];
    if (p <= 1n || q <= 1n || n !== p * q) return false;
    // The private exponent must invert the public one modulo p−1 and q−1 (what every signature relies on).
    return (e * (d % (p - 1n))) % (p - 1n) === 1n && (e * (d % (q - 1n))) % (q - 1n) === 1n;
  } catch {
    return false;
  }
}
