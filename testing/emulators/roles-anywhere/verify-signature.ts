/**
 * CreateSession's SigV4-X509 checks: the Authorization header, the clock, the
 * signing certificate and its serial, the credential scope, the signed
 * headers, the key and the signature itself.
 *
 * @module
 */

import { constants, type KeyObject, verify, type X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { certificateFromBase64, serialOf } from "../certificate-path.js";
import { headerValue } from "../emulator-server.js";
import { canonicalRequest, clockSkewError, parseAmzDate, parseAuthorization, sha256Hex, stringToSign } from "../sigv4.js";
import { accessDenied } from "./service-error.js";
import type { ServiceState } from "./service-state.js";

const ALGORITHM = { rsa: "AWS4-X509-RSA-SHA256", ec: "AWS4-X509-ECDSA-SHA256", mlDsa: "AWS4-X509-MLDSA" } as const;
const SUPPORTED_CURVES = ["prime256v1", "secp384r1", "secp521r1"];
const ML_DSA_TYPES = ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"];

/**
 * Steps 1–4: the Authorization header, X-Amz-Date, the X-Amz-X509 certificate
 * and the credential scope, the signed header set, and the signature itself.
 */
export function verifySignature(req: IncomingMessage, body: Buffer, state: ServiceState): X509Certificate {
  const parsed = parseAuthorization(headerValue(req, "authorization"), Object.values(ALGORITHM));
  if (!parsed.ok) throw accessDenied(parsed.message);
  const auth = parsed.value;

  const amzDate = headerValue(req, "x-amz-date");
  const amzMs = parseAmzDate(amzDate);
  if (amzDate === undefined || amzMs === undefined) {
    throw accessDenied("X-Amz-Date header is missing or not in the form YYYYMMDDTHHMMSSZ");
  }
  const skew = clockSkewError(amzDate, amzMs, state.now());
  if (skew) throw accessDenied(skew);

  const leaf = certificateFromBase64(headerValue(req, "x-amz-x509") ?? "");
  if (!leaf) throw accessDenied("X-Amz-X509 header is missing or not a standard-base64 DER certificate");
  const serial = serialOf(leaf).toString(10);
  if (auth.credentialId !== serial) {
    throw accessDenied(
      `Credential '${auth.credentialId}' does not match the X-Amz-X509 certificate: it must be the certificate serial number in decimal (${serial})`,
    );
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw accessDenied(`Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`);
  }
  if (auth.scopeRegion !== state.region) {
    throw accessDenied(`Credential should be scoped to a valid region: '${auth.scopeRegion}' != '${state.region}'`);
  }
  if (auth.scopeService !== "rolesanywhere") {
    throw accessDenied("Credential should be scoped to correct service: 'rolesanywhere'");
  }

  const required = ["host", "x-amz-date", "x-amz-x509"];
  if (req.headers["x-amz-x509-chain"] !== undefined) required.push("x-amz-x509-chain");
  if (req.headers["content-type"] !== undefined) required.push("content-type");
  const unsigned = required.filter((name) => !auth.signedHeaders.includes(name));
  if (unsigned.length > 0) throw accessDenied(`SignedHeaders must include ${unsigned.join(", ")}`);
  if (auth.signedHeaders.includes("authorization")) throw accessDenied("The Authorization header must not be signed");

  const canonical = canonicalRequest(
    { method: req.method ?? "", target: req.url ?? "/", rawHeaders: req.rawHeaders, payloadHash: sha256Hex(body) },
    auth.signedHeaders,
  );
  if (!canonical.ok) throw accessDenied(canonical.message);
  const toSign = stringToSign(auth.algorithm, amzDate, auth.scope, canonical.value);
  verifyCertificateSignature(publicKeyOf(leaf), auth.algorithm, auth.signature, toSign);
  return leaf;
}

/** The leaf's key; a key this runtime cannot read (ML-DSA before Node.js 24.6) is refused as the service refuses unknown keys. */
function publicKeyOf(leaf: X509Certificate): KeyObject {
  try {
    return leaf.publicKey;
  } catch {
    throw accessDenied("Unsupported signing key type: this emulator's runtime cannot read the X-Amz-X509 public key (ML-DSA needs Node.js 24.6 or later)");
  }
}

/** The key must be one Roles Anywhere accepts, the algorithm must match it, and the signature must verify. */
function verifyCertificateSignature(key: KeyObject, algorithm: string, signatureHex: string, toSign: string): void {
  // A string: @types/node 20 does not name the ML-DSA types.
  const type = key.asymmetricKeyType as string | undefined;
  const mlDsa = type !== undefined && ML_DSA_TYPES.includes(type);
  let expected: string;
  if (type === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw accessDenied(`Unsupported signing key: RSA-${bits}; RSA keys must be at least 2048 bits`);
    expected = ALGORITHM.rsa;
  } else if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (!curve || !SUPPORTED_CURVES.includes(curve)) {
      throw accessDenied(`Unsupported signing key: EC curve ${String(curve)}; use P-256, P-384 or P-521`);
    }
    expected = ALGORITHM.ec;
  } else if (mlDsa) {
    expected = ALGORITHM.mlDsa;
  } else {
    throw accessDenied(`Unsupported signing key type '${String(type)}'; use RSA, EC (P-256, P-384, P-521) or ML-DSA (44, 65, 87)`);
  }
  if (algorithm !== expected) {
    throw accessDenied(`Algorithm ${algorithm} does not match the certificate's ${type.toUpperCase()} key; use ${expected}`);
  }
  if (!/^(?:[0-9a-f]{2})+$/.test(signatureHex)) throw accessDenied("Invalid signature: Signature must be lower-case hex");
  let valid = false;
  try {
    // RSA: PKCS#1 v1.5 (not PSS). ECDSA: ASN.1 DER SEQUENCE{r,s} (a raw r||s fails here, as on AWS).
    // ML-DSA: pure, over the string to sign itself (no SHA-256 first), empty context.
    const options = type === "rsa" ? { key, padding: constants.RSA_PKCS1_PADDING } : mlDsa ? key : { key, dsaEncoding: "der" as const };
    valid = verify(mlDsa ? null : "sha256", Buffer.from(toSign, "utf8"), options, Buffer.from(signatureHex, "hex"));
  } catch {
    valid = false;
  }
  if (!valid) {
    throw accessDenied("Invalid signature: it does not verify with the X-Amz-X509 public key over the string to sign recomputed from this request");
  }
}
