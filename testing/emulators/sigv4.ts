/**
 * The verifying half of AWS Signature Version 4, shared by the emulators:
 * parsing the `Authorization` header, rebuilding the canonical request from
 * what actually arrived on the wire, and the clock-skew rule.
 *
 * It is written from the server's point of view on purpose: it trusts nothing
 * the client computed and recomputes everything from the raw request.
 *
 * @module
 */

import { createHash, createHmac } from "node:crypto";

/** The components of a SigV4 `Authorization` header. */
export interface ParsedAuthorization {
  /** e.g. `AWS4-HMAC-SHA256`, `AWS4-X509-ECDSA-SHA256`. */
  algorithm: string;
  /** First element of the credential: an access key id, or a certificate serial for Roles Anywhere. */
  credentialId: string;
  /** `YYYYMMDD` / region / service of the credential scope. */
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  /** `<date>/<region>/<service>/aws4_request`. */
  scope: string;
  /** Lower-case header names, as listed (must be sorted). */
  signedHeaders: string[];
  /** Hex signature as sent. */
  signature: string;
}

/** Either a value or the reason there is none, so callers can answer with a precise message. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Parses `ALGORITHM Credential=<id>/<date>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<hex>`.
 * Anything else, including an algorithm outside `algorithms`, is reported as malformed.
 */
export function parseAuthorization(header: string | undefined, algorithms: readonly string[]): Parsed<ParsedAuthorization> {
  if (!header) return { ok: false, message: "Missing Authorization header" };
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (!algorithms.includes(algorithm)) {
    return { ok: false, message: `Unsupported authorization algorithm; expected one of ${algorithms.join(", ")}` };
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    if (eq < 0 || fields.has(key)) return { ok: false, message: "Malformed Authorization header" };
    fields.set(key, part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (fields.size !== 3 || !credential || !signedHeaders || !signature) {
    return {
      ok: false,
      message: "Authorization header requires Credential, SignedHeaders and Signature and nothing else",
    };
  }
  const [credentialId, scopeDate, scopeRegion, scopeService, terminator, ...extra] = credential.split("/");
  if (!credentialId || !scopeDate || !scopeRegion || !scopeService || terminator !== "aws4_request" || extra.length) {
    return {
      ok: false,
      message: "Credential must have the form '<id>/<YYYYMMDD>/<region>/<service>/aws4_request'",
    };
  }
  const headers = signedHeaders.split(";");
  const sorted = [...new Set(headers)].sort();
  if (headers.some((h) => !/^[a-z0-9-]+$/.test(h)) || headers.join(";") !== sorted.join(";")) {
    return { ok: false, message: "SignedHeaders must be unique lower-case header names sorted and separated by ;" };
  }
  return {
    ok: true,
    value: {
      algorithm,
      credentialId,
      scopeDate,
      scopeRegion,
      scopeService,
      scope: `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`,
      signedHeaders: headers,
      signature,
    },
  };
}

/** Parses an `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) to epoch milliseconds, or `undefined` when malformed. */
export function parseAmzDate(value: string | undefined): number | undefined {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y ?? 0, (mo ?? 0) - 1, d, h, mi, s);
  // Reject rollovers such as month 13 or 25 o'clock, which Date.UTC silently normalises.
  return formatAmzDate(ms) === value ? ms : undefined;
}

/** Formats epoch milliseconds as an `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`), dropping milliseconds. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** How far a request's `X-Amz-Date` may be from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Applies the 5-minute rule with the wording AWS services use, so clients can
 * be tested against the messages they will really see. Returns `undefined`
 * when the date is acceptable.
 */
export function clockSkewError(amzDate: string, amzMs: number, nowMs: number): string | undefined {
  const now = formatAmzDate(nowMs);
  if (amzMs < nowMs - MAX_CLOCK_SKEW_MS) {
    return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(nowMs - MAX_CLOCK_SKEW_MS)} (${now} - 5 min.)`;
  }
  if (amzMs > nowMs + MAX_CLOCK_SKEW_MS) {
    return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(nowMs + MAX_CLOCK_SKEW_MS)} (${now} + 5 min.)`;
  }
  return undefined;
}

/** Percent-encoding as SigV4 wants it: RFC 3986 unreserved characters kept, everything else `%XX` (space is `%20`). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Canonical URI for every service but S3: each path segment URI-encoded once
 * more on top of its wire form (i.e. "encoded twice" relative to the raw path).
 */
function canonicalUri(path: string): string {
  return path === "" ? "/" : path.split("/").map(encodeRfc3986).join("/");
}

/** Canonical query: every key and value decoded, re-encoded with RFC 3986 and sorted by key, then value. */
function canonicalQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [encodeRfc3986(decodeLenient(key)), encodeRfc3986(decodeLenient(value))] as const;
    })
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/** The inputs of a canonical request, as received. */
export interface ReceivedRequest {
  method: string;
  /** The request target exactly as received (`req.url`): path and optional query. */
  target: string;
  /** Node's `req.rawHeaders`: names and values alternating, in arrival order, duplicates kept. */
  rawHeaders: readonly string[];
  /** Hex SHA-256 of the body (or the value the client declared and the server accepted). */
  payloadHash: string;
}

/**
 * Rebuilds the canonical request for the given signed headers.
 * Fails when a signed header is not present in the request.
 */
export function canonicalRequest(request: ReceivedRequest, signedHeaders: readonly string[]): Parsed<string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? "").toLowerCase();
    // Trim and collapse inner whitespace runs; repeated headers join with ','.
    const value = (request.rawHeaders[i + 1] ?? "").trim().replace(/\s+/g, " ");
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const lines: string[] = [];
  for (const name of signedHeaders) {
    const value = values.get(name);
    if (!value) return { ok: false, message: `Signed header '${name}' is not present in the request` };
    lines.push(`${name}:${value.join(",")}`);
  }
  const q = request.target.indexOf("?");
  const path = q < 0 ? request.target : request.target.slice(0, q);
  const query = q < 0 ? "" : request.target.slice(q + 1);
  return {
    ok: true,
    value: [request.method, canonicalUri(path), canonicalQuery(query), `${lines.join("\n")}\n`, signedHeaders.join(";"), request.payloadHash].join("\n"),
  };
}

/** Hex SHA-256. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `ALGORITHM\n<amzdate>\n<scope>\n<hex sha256(canonical request)>`. */
export function stringToSign(algorithm: string, amzDate: string, scope: string, canonical: string): string {
  return `${algorithm}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** The SigV4 HMAC signing key: HMAC chain over date, region, service and `aws4_request`. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), "aws4_request");
}

/** Hex HMAC-SHA256 signature of a string to sign. */
export function hmacSignature(key: Buffer, toSign: string): string {
  return createHmac("sha256", key).update(toSign).digest("hex");
}
