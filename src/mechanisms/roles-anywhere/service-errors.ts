import { readErrorAnswer } from "../../aws/error-answer.js";
import { ServiceError } from "../../core/errors.js";
import type { HttpResponse } from "../../transport/http-request.js";

/** What the messages of a failed CreateSession mention. */
export interface ErrorContext {
  region: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
}

/** The likely cause and fix for a Roles Anywhere error, from its type and message. */
function explain(status: number, type: string | undefined, message: string, ctx: ErrorContext): string {
  const text = message.toLowerCase();
  if (text.includes("scoped to a valid region") || text.includes("scoped to correct region")) {
    return `the request was signed for ${ctx.region}, a region the endpoint does not serve: set region (--region) to the endpoint's region, or leave endpoint out to use the trust anchor's regional endpoint.`;
  }
  if (type === "AccessDeniedException" || status === 403) {
    if (text.includes("untrusted signing certificate")) {
      return "the certificate does not chain to the trust anchor's CA: check trustAnchorArn, and pass the intermediate CAs with certificateChain (--intermediates).";
    }
    if (text.includes("signature expired") || text.includes("not yet current")) {
      return "this machine's clock is off by more than 5 minutes: synchronise it (NTP).";
    }
    if (text.includes("signature")) {
      return "the request signature did not verify: the private key must be the certificate's, and nothing between certcreds and AWS may rewrite the request.";
    }
    if (text.includes("disabled")) return "the trust anchor or profile is disabled: enable it in the IAM Roles Anywhere console.";
    if (text.includes("expired") || text.includes("revoked")) return "a certificate of the chain is expired or revoked: renew it.";
    return `check that the profile ${ctx.profileArn} lists the role ${ctx.roleArn}, that the role's trust policy trusts rolesanywhere.amazonaws.com (with conditions that match this certificate), and that the trust anchor and profile are enabled.`;
  }
  if (type === "ValidationException" || status === 400) {
    return "check the ARNs, durationSeconds (900–43200 and at most the profile's duration) and roleSessionName (only when the profile accepts custom role session names).";
  }
  if (type === "ResourceNotFoundException" || status === 404) {
    return `the trust anchor or profile does not exist in ${ctx.region} for this account: check trustAnchorArn (${ctx.trustAnchorArn}), profileArn and the region.`;
  }
  if (status === 429) {
    return "CreateSession is throttled (10 calls per second per account and region by default); certcreds retried with backoff. Share one provider instead of creating many, or ask AWS for a higher quota.";
  }
  if (status >= 500) return "the service had an error; certcreds retried with backoff. Try again later.";
  return "unexpected answer from the service: check the endpoint option.";
}

/** Builds the typed error for a non-201 CreateSession answer. */
export function rolesAnywhereError(
  status: number,
  type: string | undefined,
  serviceMessage: string,
  ctx: ErrorContext,
  retryAfterSeconds?: number,
): ServiceError {
  const label = type ?? `HTTP ${status}`;
  const shown = serviceMessage || "(no message)";
  return new ServiceError(
    "rolesanywhere",
    status,
    type,
    serviceMessage,
    `IAM Roles Anywhere CreateSession failed: ${label}: ${shown} — ${explain(status, type, serviceMessage, ctx)}`,
    retryAfterSeconds,
  );
}

/** The typed error for a non-201 CreateSession answer. */
export function createSessionError(response: HttpResponse, ctx: ErrorContext, now: number): ServiceError {
  const answer = readErrorAnswer(response, now);
  return rolesAnywhereError(answer.status, answer.errorType, answer.message, ctx, answer.retryAfterSeconds);
}
