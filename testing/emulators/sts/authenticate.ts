/**
 * Standard SigV4 (`AWS4-HMAC-SHA256`) verified from scratch against the
 * issued credential store, with STS's error codes and messages.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { headerValue } from "../emulator-server.js";
import type { IssuedCredentials, IssuedCredentialStore } from "../issued-credentials.js";
import { canonicalRequest, clockSkewError, hmacSignature, parseAmzDate, parseAuthorization, sha256Hex, signingKey, stringToSign } from "../sigv4.js";
import { StsError } from "./sts-error.js";

const ALGORITHM = "AWS4-HMAC-SHA256";
const SERVICE = "sts";

const INVALID_TOKEN = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** SigV4 verification against the issued credential store; returns the caller's credentials. */
export function authenticate(
  req: IncomingMessage,
  body: Buffer,
  options: { issued: IssuedCredentialStore; region: string; now: () => number },
): IssuedCredentials {
  const header = headerValue(req, "authorization");
  if (header === undefined) throw new StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  const parsed = parseAuthorization(header, [ALGORITHM]);
  if (!parsed.ok) throw new StsError(400, "IncompleteSignature", parsed.message);
  const auth = parsed.value;

  const credentials = options.issued.get(auth.credentialId);
  if (!credentials) throw new StsError(403, "InvalidClientTokenId", INVALID_TOKEN);
  const token = headerValue(req, "x-amz-security-token");
  if (token === undefined || !constantTimeEqual(token, credentials.sessionToken)) {
    throw new StsError(403, "InvalidClientTokenId", INVALID_TOKEN);
  }

  const amzDate = headerValue(req, "x-amz-date");
  const amzMs = parseAmzDate(amzDate);
  if (amzDate === undefined || amzMs === undefined) {
    throw new StsError(400, "IncompleteSignature", "AWS authentication requires a valid X-Amz-Date header (YYYYMMDDTHHMMSSZ)");
  }
  const nowMs = options.now();
  const skew = clockSkewError(amzDate, amzMs, nowMs);
  if (skew) throw new StsError(403, "SignatureDoesNotMatch", skew);
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  if (auth.scopeRegion !== options.region) {
    throw new StsError(403, "SignatureDoesNotMatch", `Credential should be scoped to a valid region: '${auth.scopeRegion}' != '${options.region}'`);
  }
  if (auth.scopeService !== SERVICE) {
    throw new StsError(403, "SignatureDoesNotMatch", `Credential should be scoped to correct service: '${SERVICE}'`);
  }
  for (const name of ["host", "x-amz-date"]) {
    if (!auth.signedHeaders.includes(name)) {
      throw new StsError(403, "SignatureDoesNotMatch", `'${name}' must be a signed header`);
    }
  }

  const payloadHash = sha256Hex(body);
  const declared = headerValue(req, "x-amz-content-sha256");
  if (declared !== undefined && declared !== payloadHash) {
    throw new StsError(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const canonical = canonicalRequest({ method: req.method ?? "", target: req.url ?? "/", rawHeaders: req.rawHeaders, payloadHash }, auth.signedHeaders);
  if (!canonical.ok) throw new StsError(403, "SignatureDoesNotMatch", canonical.message);
  const key = signingKey(credentials.secretAccessKey, auth.scopeDate, auth.scopeRegion, SERVICE);
  const expected = hmacSignature(key, stringToSign(ALGORITHM, amzDate, auth.scope, canonical.value));
  if (!constantTimeEqual(expected, auth.signature)) throw new StsError(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH);

  // Checked after the signature, as STS does: only a correctly signed request learns its token expired.
  if (nowMs >= credentials.expiration.getTime()) {
    throw new StsError(403, "ExpiredToken", "The security token included in the request is expired");
  }
  return credentials;
}
