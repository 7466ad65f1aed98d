import type { X509Certificate } from "node:crypto";
import { nodeCrypto } from "../../core/node-builtins.js";
import { NetworkError, ServiceError } from "../../core/errors.js";

/** What a message may name to point at the fix. None of it is secret. */
export interface IotErrorContext {
  host: string;
  region: string | undefined;
  roleAlias: string;
  thingName: string;
  /** The client certificate, when it was loaded. */
  certificate?: X509Certificate;
}

/** AWS IoT's certificate id: the SHA-256 of the certificate's DER, in hex. */
export function iotCertificateId(certificate: X509Certificate): string {
  return nodeCrypto().createHash("sha256").update(certificate.raw).digest("hex");
}

function certificateName(ctx: IotErrorContext): string {
  if (!ctx.certificate) return "the certificate";
  return `the certificate "${ctx.certificate.subject.replace(/\n/g, ", ")}" (certificate id ${iotCertificateId(ctx.certificate)})`;
}

/** ` "CN=…" (certificate id …)`, or nothing when the certificate is unknown. */
function clientCertificate(ctx: IotErrorContext): string {
  return ctx.certificate ? ` ${certificateName(ctx).replace(/^the certificate /, "")}` : "";
}

function where(ctx: IotErrorContext): string {
  return ctx.region ? `account and region (${ctx.region}) of ${ctx.host}` : `account and region of ${ctx.host}`;
}

/** The likely cause and fix for an answer of the IoT credential provider, from its status and message. */
function explain(status: number, message: string, ctx: IotErrorContext): string {
  const text = message.toLowerCase();
  const alias = `"${ctx.roleAlias}"`;
  if (text.includes("invalid thing name")) {
    return (
      `the thing "${ctx.thingName}" does not exist in the ${where(ctx)}, or ${certificateName(ctx)} is not attached to it. ` +
      `Check thingName, or attach the certificate: aws iot attach-thing-principal --thing-name ${ctx.thingName} --principal <certificate ARN>.`
    );
  }
  if (text.includes("certificate is invalid")) {
    return (
      `${certificateName(ctx)} is not registered, or not ACTIVE, in the ${where(ctx)}. ` +
      "Register it (or its CA) in that account and region and set it ACTIVE (aws iot update-certificate --new-status ACTIVE), or use the endpoint of the account and region where it is registered."
    );
  }
  if (text.includes("role alias does not exist") || status === 404) {
    return `there is no role alias ${alias} in the ${where(ctx)}. Check roleAlias against \`aws iot list-role-aliases\`, and that the endpoint is in the right region.`;
  }
  if (text.includes("credentialdurationseconds") || text.includes("maxsessionduration")) {
    return (
      `the role alias ${alias} asks for credentials that outlive the role's maximum session duration. ` +
      `Lower it (aws iot update-role-alias --role-alias ${ctx.roleAlias} --credential-duration-seconds 3600) or raise the role's MaxSessionDuration in IAM.`
    );
  }
  if (text.includes("unable to assume the role")) {
    return (
      `the role behind the role alias ${alias} does not exist, or its trust policy does not let credentials.iot.amazonaws.com call sts:AssumeRole. ` +
      `Check the role ARN (aws iot describe-role-alias --role-alias ${ctx.roleAlias}) and the role's trust policy.`
    );
  }
  if (text.includes("access denied") || status === 403) {
    return (
      `the AWS IoT policy attached to ${certificateName(ctx)} does not allow iot:AssumeRoleWithCertificate on the role alias ${alias}. ` +
      `Add a statement allowing it on arn:aws:iot:${ctx.region ?? "<region>"}:<account>:rolealias/${ctx.roleAlias} and attach the policy to the certificate.`
    );
  }
  if (status === 429) {
    return "the credential provider is throttling this account; certcreds retried with backoff. Share one provider between clients instead of creating many.";
  }
  if (status >= 500) return "the service had an error; certcreds retried with backoff. Try again later.";
  if (status === 400) return `check roleAlias ${alias} and the role it points at.`;
  return `unexpected answer: check that the endpoint ${ctx.host} is the account's iot:CredentialProvider endpoint.`;
}

/** The typed error for a non-200 answer of the IoT credential provider, keeping the service's message. */
export function iotServiceError(
  status: number,
  errorType: string | undefined,
  serviceMessage: string,
  ctx: IotErrorContext,
  retryAfterSeconds?: number,
): ServiceError {
  const shown = serviceMessage || "(no message)";
  return new ServiceError(
    "iot",
    status,
    errorType,
    serviceMessage,
    `AWS IoT credential provider refused role alias "${ctx.roleAlias}" for thing "${ctx.thingName}": HTTP ${status}: ${shown} — ${explain(status, serviceMessage, ctx)}`,
    retryAfterSeconds,
  );
}

const CLIENT_CERTIFICATE_FIX =
  "It is not registered, or not ACTIVE, in this account and region, or its CA is not registered. Register the CA (or the certificate alone with `aws iot register-certificate-without-ca`), set the certificate ACTIVE, and use the endpoint of that account and region.";

/**
 * Adds what IoT users need to know to a network error: which side of mutual
 * TLS failed and how to fix it. `droppedAfterHandshake` counts the attempts
 * whose new connection completed its TLS handshake and was then closed before
 * any answer, when every attempt ended that way: such a server refused the
 * client certificate (Node and many TLS terminators close without an alert).
 */
export function iotNetworkError(error: NetworkError, ctx: IotErrorContext, droppedAfterHandshake = 0): NetworkError {
  const cause = error.cause ?? error;
  if (error.kind === "tls-server-untrusted") {
    return new NetworkError(
      error.kind,
      `${error.message} The real endpoint's certificate chains to Amazon Root CA 1, which Node trusts: if you set ca, it must hold the CA of this endpoint's certificate. verifyPeer: false skips the check (never in production).`,
      { cause },
    );
  }
  if (error.kind === "tls-client-refused") {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return new NetworkError(
      error.kind,
      `${ctx.host} refused the client certificate${clientCertificate(ctx)} during the TLS handshake${code ? ` (${code})` : ""}. ${CLIENT_CERTIFICATE_FIX}`,
      { cause },
    );
  }
  if (error.kind === "reset" && droppedAfterHandshake > 0) {
    const attempts = droppedAfterHandshake === 1 ? "" : ` (${droppedAfterHandshake} attempts, each on a new connection)`;
    return new NetworkError(
      "tls-client-refused",
      `${ctx.host} closed the connection right after the TLS handshake, before answering${attempts}: it refused the client certificate${clientCertificate(ctx)}. ${CLIENT_CERTIFICATE_FIX}`,
      { cause },
    );
  }
  return error;
}
