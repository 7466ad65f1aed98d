/**
 * The two wire protocols of STS a current SDK may use — awsQuery (form
 * parameters, XML answers) and AWS JSON 1.0 — read and written.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { headerValue } from "../emulator-server.js";
import type { IssuedCredentials } from "../issued-credentials.js";
import { StsError } from "./sts-error.js";

const API_VERSION = "2011-06-15";
const JSON_TARGET = "AWSSecurityTokenServiceV20110615.GetCallerIdentity";
const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

export type Protocol = "query" | "json";

/** The operation a request asks for, and which protocol to answer in. */
export function operationOf(req: IncomingMessage, body: string): { protocol: Protocol; action: string | undefined } {
  const contentType = headerValue(req, "content-type") ?? "";
  if (contentType.startsWith("application/x-amz-json-1.0")) {
    const target = headerValue(req, "x-amz-target") ?? "";
    return { protocol: "json", action: target === JSON_TARGET ? "GetCallerIdentity" : target || undefined };
  }
  // awsQuery: parameters in a form-encoded POST body, or in the query string of a GET.
  const query = (req.url ?? "").split("?")[1] ?? "";
  const params = new URLSearchParams(req.method === "POST" ? body : query);
  const version = params.get("Version");
  if (version !== null && version !== API_VERSION) {
    throw new StsError(400, "InvalidAction", `Could not find operation ${params.get("Action")} for version ${version}`);
  }
  return { protocol: "query", action: params.get("Action") ?? undefined };
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c);
}

/** Serialises the success or error answer in the request's protocol. */
export function render(
  protocol: Protocol,
  requestId: string,
  outcome: { identity: IssuedCredentials } | { error: StsError },
): { contentType: string; body: string; headers: Record<string, string> } {
  if ("identity" in outcome) {
    const { assumedRoleArn, assumedRoleId, accountId } = outcome.identity;
    if (protocol === "json") {
      return {
        contentType: "application/x-amz-json-1.0",
        body: JSON.stringify({ UserId: assumedRoleId, Account: accountId, Arn: assumedRoleArn }),
        headers: {},
      };
    }
    return {
      contentType: "text/xml",
      body:
        `<GetCallerIdentityResponse xmlns="${XMLNS}">\n` +
        "  <GetCallerIdentityResult>\n" +
        `    <Arn>${escapeXml(assumedRoleArn)}</Arn>\n` +
        `    <UserId>${escapeXml(assumedRoleId)}</UserId>\n` +
        `    <Account>${escapeXml(accountId)}</Account>\n` +
        "  </GetCallerIdentityResult>\n" +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        "</GetCallerIdentityResponse>\n",
      headers: {},
    };
  }
  const { error } = outcome;
  if (protocol === "json") {
    // awsQueryCompatible JSON errors: the query error code travels in x-amzn-query-error.
    return {
      contentType: "application/x-amz-json-1.0",
      body: JSON.stringify({ __type: error.code, message: error.message }),
      headers: { "x-amzn-query-error": `${error.code};${error.type}` },
    };
  }
  return {
    contentType: "text/xml",
    body:
      `<ErrorResponse xmlns="${XMLNS}">\n` +
      `  <Error>\n    <Type>${error.type}</Type>\n    <Code>${escapeXml(error.code)}</Code>\n` +
      `    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n` +
      "</ErrorResponse>\n",
    headers: {},
  };
}
