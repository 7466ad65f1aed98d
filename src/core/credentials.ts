import type { AwsCredentialIdentity } from "@smithy/types";
import { ResponseFormatError } from "./errors.js";

/** Temporary credentials as every mechanism returns them. */
export interface TemporaryCredentials extends AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  accountId?: string;
}

/** Why a fetch happens. */
export interface FetchContext {
  /** True when valid credentials are still cached and nobody waits for this fetch. */
  background: boolean;
}

/** Where credentials come from: one mechanism (Roles Anywhere, IoT) with its configuration. */
export interface CredentialSource {
  /** For log lines and messages, e.g. `Roles Anywhere`. */
  readonly name: string;
  /**
   * One fetch. A blocking fetch retries transient failures itself; a
   * background one (valid credentials still cached) should make a single
   * attempt, because the cache retries it later with a much longer, jittered
   * delay — quick retries from a whole fleet are what overload a quota.
   */
  fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials>;
  /** Releases connections and key handles. */
  close?(): void | Promise<void>;
}

function requireString(value: unknown, field: string, service: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ResponseFormatError(service, `The ${service} answer has no ${field}. The endpoint does not behave like the AWS service: check the endpoint option.`);
  }
  return value;
}

/**
 * Checks the fields a service returned and builds credentials from them. An
 * expiration that is missing, unparseable or already past is refused: caching
 * such credentials would hand out dead keys.
 */
export function credentialsFromFields(
  fields: { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown; expiration?: unknown },
  service: string,
  now: number,
  accountId?: string,
): TemporaryCredentials {
  const accessKeyId = requireString(fields.accessKeyId, "accessKeyId", service);
  const secretAccessKey = requireString(fields.secretAccessKey, "secretAccessKey", service);
  const sessionToken = requireString(fields.sessionToken, "sessionToken", service);
  const expirationText = fields.expiration;
  const expiration =
    typeof expirationText === "string" || typeof expirationText === "number" ? new Date(expirationText) : new Date(Number.NaN);
  if (Number.isNaN(expiration.getTime())) {
    throw new ResponseFormatError(service, `The ${service} answer has no valid expiration (${JSON.stringify(String(expirationText)).slice(0, 60)}).`);
  }
  if (expiration.getTime() <= now) {
    throw new ResponseFormatError(
      service,
      `The ${service} answer holds credentials that expired at ${expiration.toISOString()} (now ${new Date(now).toISOString()}). Check this machine's clock.`,
    );
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration, ...(accountId ? { accountId } : {}) };
}
