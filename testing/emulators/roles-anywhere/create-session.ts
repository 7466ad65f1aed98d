/**
 * One CreateSession: the signature and trust checks, the request parameters
 * (ARNs, duration, session name), then issuance and the service's 201 body.
 *
 * @module
 */

import type { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { commonNameOf, serialOf } from "../certificate-path.js";
import { sha256Hex } from "../sigv4.js";
import { accessDenied, notFound, validation } from "./service-error.js";
import { ARN_PATTERN, DEFAULT_DURATION_SECONDS, type ServiceState } from "./service-state.js";
import { anchoringTrustAnchors, parseChain, UNTRUSTED } from "./trust-anchors.js";
import { verifySignature } from "./verify-signature.js";

const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw validation("Request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw validation("Request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** An ARN from the JSON body, or else from the query string (AWS's Go helper sends them there). */
function arnParameter(name: keyof typeof ARN_PATTERN, body: Record<string, unknown>, query: URLSearchParams): string {
  const value = body[name] ?? query.get(name) ?? undefined;
  if (value === undefined) {
    throw validation(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== "string" || !ARN_PATTERN[name].test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ARN_PATTERN[name].source}`,
    );
  }
  return value;
}

function requestedDuration(body: Record<string, unknown>): number {
  const value = body["durationSeconds"] ?? DEFAULT_DURATION_SECONDS;
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_DURATION_SECONDS || value > MAX_DURATION_SECONDS) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`,
    );
  }
  return value;
}

/** A stable subject id per certificate subject and issuer, shaped like the service's subject ids. */
function subjectIdFor(leaf: X509Certificate): string {
  const hex = sha256Hex(`${leaf.subject}\n${leaf.issuer}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the service's expiration format (no milliseconds). */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The whole CreateSession verification, in the service's order, then issuance. Returns the 201 body. */
export function createSession(req: IncomingMessage, body: Buffer, state: ServiceState): object {
  const leaf = verifySignature(req, body, state);
  const anchoring = anchoringTrustAnchors(leaf, parseChain(req), state);

  const input = parseJsonBody(body);
  const query = new URL(req.url ?? "/", "http://emulator").searchParams;
  const trustAnchorArn = arnParameter("trustAnchorArn", input, query);
  const profileArn = arnParameter("profileArn", input, query);
  const roleArn = arnParameter("roleArn", input, query);

  const trustAnchor = state.trustAnchors.find((anchor) => anchor.arn === trustAnchorArn);
  if (!trustAnchor) throw notFound(`Trust anchor ${trustAnchorArn} not found`);
  const profile = state.profiles.find((candidate) => candidate.arn === profileArn);
  if (!profile) throw notFound(`Profile ${profileArn} not found`);
  if (!anchoring.has(trustAnchor)) {
    throw accessDenied(`${UNTRUSTED}: the certificate does not chain to trust anchor ${trustAnchorArn}`);
  }
  if (!trustAnchor.enabled) throw accessDenied(`Trust anchor ${trustAnchorArn} is disabled`);
  if (!profile.enabled) throw accessDenied(`Profile ${profileArn} is disabled`);
  if (!profile.roleArns.includes(roleArn)) {
    throw accessDenied(`Role ${roleArn} is not associated with profile ${profileArn}`);
  }

  const duration = Math.min(requestedDuration(input), profile.durationSeconds);
  const roleSessionName = input["roleSessionName"];
  if (roleSessionName !== undefined) {
    if (!profile.acceptRoleSessionName) {
      throw validation(`roleSessionName is not accepted by profile ${profileArn}`);
    }
    if (typeof roleSessionName !== "string" || !ROLE_SESSION_NAME.test(roleSessionName)) {
      throw validation(
        `1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_SESSION_NAME.source}`,
      );
    }
  }

  const nowSeconds = Math.floor(state.now() / 1000);
  const expiresInSeconds = state.lifetimeSeconds ?? duration;
  const commonName = commonNameOf(leaf);
  const credentials = state.issued.issue({
    accountId: state.accountId,
    roleArn,
    // Without roleSessionName the service names the session after the certificate serial, in hex.
    roleSessionName: typeof roleSessionName === "string" ? roleSessionName : serialOf(leaf).toString(16),
    expiration: new Date((nowSeconds + expiresInSeconds) * 1000),
    sourceIdentity: commonName === undefined ? leaf.subject.split("\n")[0] : `CN=${commonName}`,
  });
  return {
    credentialSet: [
      {
        assumedRoleUser: { arn: credentials.assumedRoleArn, assumedRoleId: credentials.assumedRoleId },
        credentials: {
          accessKeyId: credentials.accessKeyId,
          expiration: isoSeconds(credentials.expiration.getTime()),
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
        },
        packedPolicySize: 0,
        roleArn,
        sourceIdentity: credentials.sourceIdentity,
      },
    ],
    subjectArn: `arn:aws:rolesanywhere:${state.region}:${state.accountId}:subject/${subjectIdFor(leaf)}`,
  };
}
