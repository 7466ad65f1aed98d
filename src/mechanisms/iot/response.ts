import { parseJsonAnswer } from "../../aws/json-answer.js";
import { credentialsFromFields, type TemporaryCredentials } from "../../core/credentials.js";
import { ResponseFormatError } from "../../core/errors.js";

/** The credentials of a 200 answer of the IoT credential provider; ResponseFormatError for anything unusable. */
export function parseIotCredentials(body: Buffer, host: string, now: number): TemporaryCredentials {
  const json = parseJsonAnswer(
    body,
    "iot",
    `The IoT credential provider's answer is not JSON. Check that endpoint ${host} is the account's iot:CredentialProvider endpoint.`,
  );
  const credentials = (json as { credentials?: unknown } | null)?.credentials;
  if (!credentials || typeof credentials !== "object") {
    throw new ResponseFormatError(
      "iot",
      `The IoT credential provider's answer has no "credentials" object. Check that endpoint ${host} is the account's iot:CredentialProvider endpoint.`,
    );
  }
  return credentialsFromFields(credentials as Record<string, unknown>, "iot", now);
}
