import { NetworkError, ServiceError } from "./errors.js";

/**
 * How one refresh ended, as metrics label it: `throttled` (HTTP 429, or a
 * service's throttling error type), `client_error` (another 4xx, or an input
 * of this machine that is wrong: a certificate, a key, an option),
 * `server_error` (5xx, or an answer certcreds cannot use), `network` (no HTTP
 * answer: DNS, connection, TLS, time-out).
 */
export type RefreshOutcome = "success" | "throttled" | "client_error" | "server_error" | "network";

/** Every {@link RefreshOutcome}, in the order metrics list them. */
export const REFRESH_OUTCOMES: readonly RefreshOutcome[] = ["success", "throttled", "client_error", "server_error", "network"];

/** The outcome of a failed refresh, from its error. */
export function failureOutcome(error: unknown): Exclude<RefreshOutcome, "success"> {
  if (error instanceof NetworkError) return "network";
  if (error instanceof ServiceError) {
    if (error.throttling) return "throttled";
    return error.status >= 500 ? "server_error" : "client_error";
  }
  if (error instanceof Error && (error as { code?: unknown }).code === "ERR_CERTCREDS_RESPONSE_FORMAT") return "server_error";
  return "client_error";
}

/** A certificate of the identity in use, as events and metrics describe it (no key, nothing secret). */
export interface CertificateInfo {
  /** `leaf` for the certificate itself, `intermediate` for each certificate of its chain. */
  role: "leaf" | "intermediate";
  /** Position in the chain: 0 for the leaf, 1 for its issuer, and so on. */
  index: number;
  /** The subject, one line (`CN=device-1, O=Example`). */
  subject: string;
  /** Serial number, hexadecimal as OpenSSL prints it. */
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hexadecimal. */
  fingerprint256: string;
  notAfter: Date;
}

interface EventBase {
  /** When it happened, by the session's clock. */
  time: Date;
  /** The mechanism: `IAM Roles Anywhere` or `AWS IoT credential provider`. */
  mechanism: string;
}

/** A fetch of new credentials began. */
export interface RefreshStartedEvent extends EventBase {
  type: "refresh-started";
  /** True when valid credentials are still cached (nobody waits for this fetch). */
  background: boolean;
}

/** A fetch returned credentials. */
export interface RefreshSucceededEvent extends EventBase {
  type: "refresh-succeeded";
  outcome: "success";
  durationMs: number;
  /** When the new credentials expire. */
  expiration: Date;
  /** When the cache will fetch again (ahead of expiry). */
  nextRefreshAt: Date;
  /** The certificates the credentials were obtained with, when the key source tells them. */
  certificates: readonly CertificateInfo[];
}

/** A fetch failed (after its retries, when a caller was waiting). */
export interface RefreshFailedEvent extends EventBase {
  type: "refresh-failed";
  outcome: Exclude<RefreshOutcome, "success">;
  durationMs: number;
  /** The typed error; its message names the input and the fix, and holds no secret. */
  error: Error;
  /** The cached credentials' expiration while they are still valid (they keep being served). */
  validUntil: Date | undefined;
  /** When the next attempt may be made. */
  nextAttemptAt: Date;
}

/**
 * A caller got cached credentials although they are due for renewal: the
 * refresh failed inside the mandatory window (or did not answer in time), and
 * the credentials are still valid.
 */
export interface ServedWhileStaleEvent extends EventBase {
  type: "served-while-stale";
  expiration: Date;
  /** The failure that left them in use, when there was one (absent when the refresh is only slow). */
  error: Error | undefined;
}

/**
 * The certificate or one of its intermediates expires within the warning
 * threshold. Given at the first refresh that sees it, then once a day, and
 * again when fewer than 7 days and fewer than 1 day are left.
 */
export interface CertificateExpiringEvent extends EventBase {
  type: "certificate-expiring";
  certificate: CertificateInfo;
  /** Whole days left (0 on the last day). */
  daysLeft: number;
  /** The threshold in days that made it a warning. */
  thresholdDays: number;
}

/** What a session tells its observer. */
export type CredentialEvent = RefreshStartedEvent | RefreshSucceededEvent | RefreshFailedEvent | ServedWhileStaleEvent | CertificateExpiringEvent;

/** The name of each event, as log lines (`event` field) and `--log-format json` carry it. */
export type CredentialEventType = CredentialEvent["type"];

/**
 * Receives a session's events, synchronously and in order. It must not
 * throw (what it throws is dropped, so credentials keep flowing) and should
 * not block: hand the event to your metrics or tracing library and return.
 */
export type CredentialObserver = (event: CredentialEvent) => void;

/** Calls an observer, never letting its failure reach the credentials path. */
export function notify(observer: CredentialObserver | undefined, event: CredentialEvent): void {
  if (!observer) return;
  try {
    observer(event);
  } catch {
    /* an observer's bug must not stop credentials */
  }
}
