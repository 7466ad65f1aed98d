import type { AwsCredentialIdentity } from "@smithy/types";
import { type CredentialField, credentialFieldProblem } from "./credential-fields.js";
import { ResponseFormatError } from "./errors.js";
import type { CertificateInfo } from "./events.js";

export { credentialFieldProblem } from "./credential-fields.js";

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
  /**
   * True for a single attempt: valid credentials are still cached and nobody
   * waits for this fetch, or the cache is backing off after a failure (it
   * paces the attempts itself).
   */
  background: boolean;
  /**
   * False: a throttled attempt is not retried within this fetch; the cache
   * retries later on its throttling schedule (a process that keeps trying by
   * itself). Default true.
   */
  retryThrottling?: boolean;
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
  /**
   * The certificates of the identity the last fetch loaded (leaf first), for
   * expiry warnings and metrics; undefined before the first load.
   */
  certificates?(): readonly CertificateInfo[] | undefined;
  /** Releases connections and key handles. */
  close?(): void | Promise<void>;
}

/** The longest lifetime either service grants (12 hours), plus room for clock differences. */
export const MAX_CREDENTIAL_LIFETIME_MS = 12 * 3_600_000 + 5 * 60_000;

function requireField(value: unknown, field: CredentialField, service: string): string {
  const problem = credentialFieldProblem(field, value);
  if (problem) {
    throw new ResponseFormatError(service, `The ${service} answer ${problem}. The endpoint does not behave like the AWS service: check the endpoint option.`);
  }
  return value as string;
}

/**
 * Checks the fields a service returned and builds credentials from them. An
 * expiration that is missing, unparseable or already past is refused: caching
 * such credentials would hand out dead keys; one further away than any AWS
 * service grants is refused too (a wrong endpoint, or this machine's clock far
 * behind), since refresh timers would be scheduled by it.
 */
export function credentialsFromFields(
  fields: { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown; expiration?: unknown },
  service: string,
  now: number,
  accountId?: string,
): TemporaryCredentials {
  const accessKeyId = requireField(fields.accessKeyId, "accessKeyId", service);
  const secretAccessKey = requireField(fields.secretAccessKey, "secretAccessKey", service);
  const sessionToken = requireField(fields.sessionToken, "sessionToken", service);
  const expirationText = fields.expiration;
  const expiration = typeof expirationText === "string" || typeof expirationText === "number" ? new Date(expirationText) : new Date(Number.NaN);
  if (Number.isNaN(expiration.getTime())) {
    throw new ResponseFormatError(service, `The ${service} answer has no valid expiration (${JSON.stringify(String(expirationText)).slice(0, 60)}).`);
  }
  if (expiration.getTime() <= now) {
    throw new ResponseFormatError(
      service,
      `The ${service} answer holds credentials that expired at ${expiration.toISOString()} (now ${new Date(now).toISOString()}). Check this machine's clock.`,
    );
  }
  if (expiration.getTime() - now > MAX_CREDENTIAL_LIFETIME_MS) {
    const hours = Math.round((expiration.getTime() - now) / 3_600_000);
    throw new ResponseFormatError(
      service,
      `The ${service} answer holds credentials valid for ${hours} hours from now, but AWS grants at most 12: this machine's clock is behind (synchronise it with NTP), or the endpoint is not the AWS service.`,
    );
  }
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new ResponseFormatError(service, `The ${service} answer names an account id that is not 12 digits. Check the endpoint option.`);
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration, ...(accountId ? { accountId } : {}) };
}
