import { sha256Hex } from "../../core/node-builtins.js";
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

let lastSecond = Number.NaN;
let lastAmzDate = "";

/** `YYYYMMDDTHHMMSSZ` for a date (memoised per second: signing is on the hot path). */
export function amzDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    lastAmzDate = date
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    lastSecond = second;
  }
  return lastAmzDate;
}

/** RFC 3986 percent-encoding, as SigV4 wants (`encodeURIComponent` leaves `!'()*` alone). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const NEEDS_FOLDING = /^\s|\s$|\s\s|[\t\r\n]/;

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
  return canonicalize(request).canonical;
}

function canonicalize(request: SignableRequest): { canonical: string; signedHeaders: string } {
  const entries = Object.entries(request.headers)
    .map(([name, value]) => [name.toLowerCase(), NEEDS_FOLDING.test(value) ? value.trim().replace(/\s+/g, " ") : value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let lines = "";
  let signedHeaders = "";
  for (const [name, value] of entries) {
    lines += `${name}:${value}\n`;
    signedHeaders += signedHeaders ? `;${name}` : name;
  }
  const canonical = `${request.method.toUpperCase()}\n${request.path}\n${canonicalQuery(request.query)}\n${lines}\n${signedHeaders}\n${sha256Hex(request.body)}`;
  return { canonical, signedHeaders };
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
  identity: Pick<Identity, "certificateBase64" | "chainBase64" | "serialNumber" | "signer">,
  region: string,
  date: Date,
  /** Sees the canonical request and the string to sign (never a secret), to compare with the service's on a mismatch. */
  onSigned?: (canonical: string, stringToSign: string) => void,
): Promise<Record<string, string>> {
  const stamp = amzDate(date);
  const headers: Record<string, string> = { ...request.headers, "X-Amz-Date": stamp, "X-Amz-X509": identity.certificateBase64 };
  if (identity.chainBase64) headers["X-Amz-X509-Chain"] = identity.chainBase64;
  const { algorithm } = identity.signer;
  const scope = `${stamp.slice(0, 8)}/${region}/${SERVICE}/aws4_request`;
  const { canonical, signedHeaders } = canonicalize({ ...request, headers });
  const toSign = `${algorithm}\n${stamp}\n${scope}\n${sha256Hex(canonical)}`;
  onSigned?.(canonical, toSign);
  const signed = identity.signer.sign(Buffer.from(toSign, "latin1"));
  const signature = signed instanceof Uint8Array ? signed : await signed;
  headers.Authorization =
    `${algorithm} Credential=${identity.serialNumber}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString("hex")}`;
  return headers;
}
