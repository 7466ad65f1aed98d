import { createHash } from "node:crypto";
import type { Identity } from "../../identity/load-identity.js";

/** The parts of an HTTP request that SigV4 covers. */
export interface SignableRequest {
  method: string;
  /** Path, already URI-encoded as sent. */
  path: string;
  query: Record<string, string>;
  /** Header names in any case; all of them are signed. */
  headers: Record<string, string>;
  body: string;
}

const SERVICE = "rolesanywhere";

/** `YYYYMMDDTHHMMSSZ` for a date. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** RFC 3986 percent-encoding, as SigV4 wants (`encodeURIComponent` leaves `!'()*` alone). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

/** The canonical query string: keys and values encoded, sorted by key then value. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** Lower-cased, sorted header names joined with `;`. */
export function signedHeaderNames(headers: Record<string, string>): string {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort()
    .join(";");
}

/** SigV4's canonical request. Header values are trimmed and inner runs of spaces folded. */
export function canonicalRequest(request: SignableRequest): string {
  const lines = Object.entries(request.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, " ")] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join("");
  return [
    request.method.toUpperCase(),
    request.path,
    canonicalQuery(request.query),
    lines,
    signedHeaderNames(request.headers),
    sha256Hex(request.body),
  ].join("\n");
}

/** `YYYYMMDD/region/rolesanywhere/aws4_request` */
export function credentialScope(date: Date, region: string): string {
  return `${amzDate(date).slice(0, 8)}/${region}/${SERVICE}/aws4_request`;
}

/** The string to sign: always hashed with SHA-256, whatever the key size. */
export function stringToSign(algorithm: string, date: Date, region: string, canonical: string): string {
  return `${algorithm}\n${amzDate(date)}\n${credentialScope(date, region)}\n${sha256Hex(canonical)}`;
}

/**
 * Adds the SigV4-X509 headers to a request (`X-Amz-Date`, `X-Amz-X509`,
 * `X-Amz-X509-Chain` when there are intermediates, `Authorization`) and
 * returns the full header set to send. Every header passed in is signed.
 */
export async function signRequest(
  request: SignableRequest,
  identity: Pick<Identity, "certificate" | "chain" | "serialNumber" | "signer">,
  region: string,
  date: Date,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    ...request.headers,
    "X-Amz-Date": amzDate(date),
    "X-Amz-X509": identity.certificate.raw.toString("base64"),
  };
  if (identity.chain.length > 0) {
    headers["X-Amz-X509-Chain"] = identity.chain.map((c) => c.raw.toString("base64")).join(",");
  }
  const canonical = canonicalRequest({ ...request, headers });
  const { algorithm } = identity.signer;
  const toSign = stringToSign(algorithm, date, region, canonical);
  const signature = Buffer.from(await identity.signer.sign(Buffer.from(toSign, "utf8"))).toString("hex");
  headers.Authorization =
    `${algorithm} Credential=${identity.serialNumber}/${credentialScope(date, region)}, ` +
    `SignedHeaders=${signedHeaderNames(headers)}, Signature=${signature}`;
  return headers;
}
