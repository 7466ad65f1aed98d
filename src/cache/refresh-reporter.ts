import type { Clock } from "../core/clock.js";
import type { CredentialSource } from "../core/credentials.js";
import { type CertificateInfo, type CredentialEvent, type CredentialObserver, failureOutcome, notify } from "../core/events.js";
import type { Logger } from "../core/logger.js";
import { logEvent } from "./event-log.js";
import { type ExpiringCertificate, ExpiryReminder } from "./expiry-reminder.js";

/**
 * What a cache tells about its refreshes: each event to the observer and as
 * a log line, and after each fetch the expiry warnings of the certificates
 * the source loaded. The cache decides when; this says what.
 */
export class RefreshReporter {
  private readonly reminder: ExpiryReminder;

  constructor(
    private readonly source: CredentialSource,
    private readonly clock: Clock,
    private readonly options: { logger?: Logger; observer?: CredentialObserver; reminder?: ExpiryReminder },
  ) {
    this.reminder = options.reminder ?? new ExpiryReminder();
  }

  /** Tells the observer, then the logger (one line with the event's name). */
  private emit(event: CredentialEvent): void {
    notify(this.options.observer, event);
    logEvent(this.options.logger, event);
  }

  private base(time = this.clock.now()): { time: Date; mechanism: string } {
    return { time: new Date(time), mechanism: this.source.name };
  }

  /** The certificates of the identity in use, leaf first (empty before the first fetch, or for a source that does not tell). */
  certificates(): readonly CertificateInfo[] {
    return this.source.certificates?.() ?? [];
  }

  /** The certificates that expire within the warning threshold, as of the last fetch. */
  expiringCertificates(): readonly ExpiringCertificate[] {
    return this.reminder.current;
  }

  started(at: number, background: boolean): void {
    this.emit({ type: "refresh-started", ...this.base(at), background });
  }

  succeeded(started: number, expiration: Date, nextRefreshAt: number): void {
    const now = this.clock.now();
    this.emit({
      type: "refresh-succeeded",
      ...this.base(now),
      outcome: "success",
      durationMs: now - started,
      expiration,
      nextRefreshAt: new Date(nextRefreshAt),
      certificates: this.certificates(),
    });
    this.checkExpiry();
  }

  failed(started: number, error: unknown, validUntil: Date | undefined, nextAttemptAt: number): void {
    const now = this.clock.now();
    this.emit({
      type: "refresh-failed",
      ...this.base(now),
      outcome: failureOutcome(error),
      durationMs: now - started,
      error: error instanceof Error ? error : new Error(String(error)),
      validUntil,
      nextAttemptAt: new Date(nextAttemptAt),
    });
    this.checkExpiry();
  }

  /** Cached credentials served inside the mandatory window: after `error`, or while a slow fetch goes on (no error). */
  servedWhileStale(expiration: Date, error: unknown): void {
    this.emit({ type: "served-while-stale", ...this.base(), expiration, error: error as Error | undefined });
  }

  /** The expiry warnings due after a fetch: each certificate inside the threshold, daily and at 7 and 1 days. */
  private checkExpiry(): void {
    const certificates = this.source.certificates?.();
    if (!certificates) return;
    const now = this.clock.now();
    for (const { certificate, daysLeft } of this.reminder.due(certificates, now)) {
      this.emit({ type: "certificate-expiring", ...this.base(now), certificate, daysLeft, thresholdDays: this.reminder.days });
    }
  }
}
