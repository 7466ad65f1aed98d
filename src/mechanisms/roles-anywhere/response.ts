import { isJsonObject, parseJsonAnswer } from "../../aws/json-answer.js";
import { credentialsFromFields, type TemporaryCredentials } from "../../core/credentials.js";
import { ResponseFormatError } from "../../core/errors.js";

/** The credentials of a 201 CreateSession answer; ResponseFormatError for anything unusable. */
export function parseCreateSessionSuccess(body: Buffer, now: number, accountId: string): TemporaryCredentials {
  const json = parseJsonAnswer(
    body,
    "rolesanywhere",
    "The CreateSession answer is not JSON. Check the endpoint option: it does not look like IAM Roles Anywhere.",
  );
  const set = isJsonObject(json) ? json.credentialSet : undefined;
  const first = Array.isArray(set) && isJsonObject(set[0]) ? set[0] : undefined;
  const credentials = first && isJsonObject(first.credentials) ? first.credentials : undefined;
  if (!first || !credentials) {
    throw new ResponseFormatError("rolesanywhere", "The CreateSession answer has no credentialSet[0].credentials. Check the endpoint option.");
  }
  const assumed = isJsonObject(first.assumedRoleUser) ? first.assumedRoleUser.arn : undefined;
  const accountFromArn = typeof assumed === "string" ? /^arn:[^:]+:sts::(\d{12}):/.exec(assumed)?.[1] : undefined;
  return credentialsFromFields(credentials, "rolesanywhere", now, accountFromArn ?? accountId);
}
