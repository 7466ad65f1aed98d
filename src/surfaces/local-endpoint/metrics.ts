import { type CredentialEvent, type CredentialObserver, REFRESH_OUTCOMES, type RefreshOutcome } from "../../core/events.js";
import type { SessionFigures } from "./certificate-warnings.js";
import { ExpositionWriter, Histogram, LabelledCounter, type Sample } from "./prometheus-text.js";

/** What the requests served are counted by: each path serve answers, `other` for the rest. */
export type EndpointName = "imds_token" | "imds_credentials" | "container" | "healthz" | "metrics" | "other";

/**
 * Bounds of the refresh duration histogram, in seconds: from a fast local
 * answer (10 ms) to a slow upstream with retries (30 s).
 */
export const REFRESH_DURATION_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const REFRESH_DURATION = "certcreds_refresh_duration_seconds";

/**
 * serve's metrics: counters and the refresh histogram fed by the session's
 * events (give {@link observer} to the session) and by the server's
 * requests; gauges read from the session at each scrape. Nothing secret is
 * kept or shown: no access key id, no token; certificates by subject and
 * serial, which identify them and are no secret.
 */
export class ServeMetrics {
  private readonly refreshes = new LabelledCounter<"outcome">(["outcome"]);
  private readonly durations = new Histogram(REFRESH_DURATION, REFRESH_DURATION_BUCKETS);
  private readonly requests = new LabelledCounter<"endpoint" | "status">(["endpoint", "status"]);
  private servedWhileStale = 0;
  private readonly now: () => number;

  constructor(private readonly options: { version: string; now?: () => number }) {
    this.now = options.now ?? Date.now;
    // Every outcome from the start: a rate over a series that appears only at the first failure misses that failure.
    for (const outcome of REFRESH_OUTCOMES) this.refreshes.inc({ outcome }, 0);
  }

  /** The session's observer: counts refreshes by outcome, their durations and credentials served while stale. */
  readonly observer: CredentialObserver = (event: CredentialEvent) => {
    if (event.type === "refresh-succeeded" || event.type === "refresh-failed") {
      this.refreshes.inc({ outcome: event.outcome });
      this.durations.observe(Math.max(0, event.durationMs) / 1000);
    } else if (event.type === "served-while-stale") {
      this.servedWhileStale++;
    }
  };

  /** Counts one answered request. */
  countRequest(endpoint: EndpointName, status: number): void {
    this.requests.inc({ endpoint, status: String(status) });
  }

  /** Refreshes counted with one outcome (for tests and diagnostics). */
  refreshCount(outcome: RefreshOutcome): number {
    return this.refreshes.get({ outcome });
  }

  /** The exposition of every metric, the session's figures read now. */
  exposition(session: SessionFigures): string {
    const now = this.now();
    const out = new ExpositionWriter();
    const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ value }]);
    const seconds = (date: Date | undefined) => (date === undefined ? undefined : date.getTime() / 1000);
    out.family("certcreds_build_info", "gauge", "The certcreds version serving, as a label; always 1.", [
      { labels: { version: this.options.version }, value: 1 },
    ]);

    const expiration = session.expiration;
    out.family("certcreds_credentials_valid", "gauge", "1 while serve holds credentials that have not expired, else 0.", [
      { value: expiration !== undefined && expiration.getTime() > now ? 1 : 0 },
    ]);
    out.family(
      "certcreds_credentials_expiration_timestamp_seconds",
      "gauge",
      "When the credentials served expire, in seconds since the Unix epoch (absent before the first).",
      one(seconds(expiration)),
    );
    out.family(
      "certcreds_credentials_remaining_seconds",
      "gauge",
      "Seconds until the credentials served expire (negative once expired; absent before the first).",
      one(expiration === undefined ? undefined : (expiration.getTime() - now) / 1000),
    );
    out.family(
      "certcreds_last_refresh_success_timestamp_seconds",
      "gauge",
      "When a refresh last succeeded, in seconds since the Unix epoch (absent before the first).",
      one(seconds(session.lastSuccess)),
    );
    out.family(
      "certcreds_refreshes_total",
      "counter",
      "Refreshes (fetches of new credentials from the service) by outcome: success, throttled, client_error, server_error, network.",
      this.refreshes.samples(),
    );
    out.family(REFRESH_DURATION, "histogram", "How long each refresh took, retries included, whatever its outcome.", this.durations.samples());
    out.family(
      "certcreds_upstream_calls_saved_total",
      "counter",
      "Callers that joined a refresh already under way instead of calling the service themselves (single flight).",
      [{ value: session.joinedFetchCount ?? 0 }],
    );
    out.family(
      "certcreds_served_while_stale_total",
      "counter",
      "Times credentials due for renewal were served because their refresh failed or was slow (they were still valid).",
      [{ value: this.servedWhileStale }],
    );

    const certificates = session.certificates?.() ?? [];
    const expiring = new Set((session.expiringCertificates?.() ?? []).map((entry) => entry.certificate.fingerprint256));
    const labelsOf = (certificate: (typeof certificates)[number]) => ({
      role: certificate.role,
      index: String(certificate.index),
      subject: certificate.subject,
      serial: certificate.serialNumber,
    });
    out.family(
      "certcreds_certificate_not_after_timestamp_seconds",
      "gauge",
      "When the certificate (role leaf) and each intermediate (role intermediate, index in the chain) stop being valid, in seconds since the Unix epoch.",
      certificates.map((certificate) => ({ labels: labelsOf(certificate), value: certificate.notAfter.getTime() / 1000 })),
    );
    out.family(
      "certcreds_certificate_expiring",
      "gauge",
      "1 when the certificate expires within the expiry warning threshold (--expiry-warning-days, default 30), as of the last refresh; 0 otherwise.",
      certificates.map((certificate) => ({ labels: labelsOf(certificate), value: expiring.has(certificate.fingerprint256) ? 1 : 0 })),
    );

    out.family("certcreds_http_requests_total", "counter", "Requests answered, by endpoint and HTTP status code.", this.requests.samples());
    return out.text();
  }
}
