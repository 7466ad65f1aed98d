import { credentialsFromFields, type TemporaryCredentials } from "../../core/credentials.js";
import { ResponseFormatError, type ServiceError } from "../../core/errors.js";
import type { HttpResponse } from "../../transport/http-request.js";
import { rolesAnywhereError } from "./service-errors.js";

/** What the messages of a failed CreateSession mention. */
export interface CreateSessionContext {
  region: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** The role's account, when the answer does not name one. */
  accountId: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The credentials of a 201 CreateSession answer; ResponseFormatError for anything unusable. */
export function parseCreateSessionSuccess(body: Buffer, now: number, accountId: string): TemporaryCredentials {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ResponseFormatError("rolesanywhere", "The CreateSession answer is not JSON. Check the endpoint option: it does not look like IAM Roles Anywhere.");
  }
  const set = isObject(json) ? json.credentialSet : undefined;
  const first = Array.isArray(set) && isObject(set[0]) ? set[0] : undefined;
  const credentials = first && isObject(first.credentials) ? first.credentials : undefined;
  if (!first || !credentials) {
    throw new ResponseFormatError("rolesanywhere", "The CreateSession answer has no credentialSet[0].credentials. Check the endpoint option.");
  }
  const assumed = isObject(first.assumedRoleUser) ? first.assumedRoleUser.arn : undefined;
  const accountFromArn = typeof assumed === "string" ? /^arn:[^:]+:sts::(\d{12}):/.exec(assumed)?.[1] : undefined;
  return credentialsFromFields(credentials, "rolesanywhere", now, accountFromArn ?? accountId);
}

/** A service message fit for an error message: one line, printable, bounded. */
export function cleanServiceMessage(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** The typed error for a non-201 CreateSession answer. */
export function createSessionError(response: HttpResponse, ctx: CreateSessionContext, now: number): ServiceError {
  const text = response.body.toString("utf8");
  let message: string;
  try {
    const json: unknown = JSON.parse(text);
    const field = isObject(json) ? (json.message ?? json.Message) : undefined;
    message = typeof field === "string" ? field : "";
  } catch {
    message = text;
  }
  const headerType = response.headers["x-amzn-errortype"];
  // AWS may append ":http://internal.amazon.com/..." to the type.
  const type = typeof headerType === "string" ? headerType.split(":")[0]?.trim() : undefined;
  return rolesAnywhereError(response.status, type || undefined, cleanServiceMessage(message), ctx, parseRetryAfter(response.headers["retry-after"], now));
}
