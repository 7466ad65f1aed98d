import type { Logger } from "../core/logger.js";
import { type Clock, systemClock } from "../core/clock.js";
import type { CredentialSource, TemporaryCredentials } from "../core/credentials.js";
import type { CertificateInfo, CredentialObserver } from "../core/events.js";
import type { ExpiringCertificate, ExpiryReminder } from "./expiry-reminder.js";
import type { RefreshPolicy } from "./refresh-policy.js";
import { RefreshReporter } from "./refresh-reporter.js";
import { RetrySchedule, type ThrottleBackoff } from "./retry-schedule.js";

export type { RefreshPolicy } from "./refresh-policy.js";

interface Entry {
  credentials: TemporaryCredentials;
  refreshAt: number;
  mandatoryAt: number;
}

const MINUTE = 60_000;
/** Credentials valid this much longer cover a failed refresh: no new attempt is made for the caller at once. */
const COVER_MS = 10_000;

/**
 * One cache of credentials for every consumer of a source: refreshes ahead
 * of expiry in the background, blocks only in the mandatory window, keeps
 * serving valid credentials when a refresh fails, and never runs two fetches
 * at once (single flight).
 */
export class CredentialCache {
  private entry: Entry | undefined;
  private inflight: Promise<TemporaryCredentials> | undefined;
  /** Whether the fetch under way is a background one: a single attempt, made while valid credentials were cached. */
  private inflightBackground = false;
  private failures = 0;
  /** Whether the credentials now cached were obtained only after failed attempts. */
  private contended = true;
  private nextAttemptAt = 0;
  /** The error of the last failed fetch, until a fetch succeeds. */
  private lastFailure: unknown;
  /** With no valid credentials, when the next upstream attempt may be made after the last failure. */
  private nextUnavailableAttemptAt = 0;
  private timer: { cancel(): void } | undefined;
  private closed = false;
  private readonly retrySchedule: RetrySchedule;
  /** Fetches made so far (successful or not). */
  fetchCount = 0;
  /** Callers that joined a fetch under way instead of starting one: upstream calls saved by single flight. */
  joinedCount = 0;
  /** When the last fetch succeeded (epoch ms), 0 before the first. */
  lastSuccessAt = 0;
  private readonly report: RefreshReporter;
  /**
   * The failure (or, for a slow fetch, the fetch) already reported as leaving stale credentials in use: once per
   * failed fetch, not per waiting caller.
   */
  private staleReported: unknown;

  constructor(
    private readonly source: CredentialSource,
    /** `throttleBackoff`: another throttling schedule, for the fleet simulation's comparisons. */
    private readonly options: {
      clock?: Clock;
      logger?: Logger;
      policy?: RefreshPolicy;
      observer?: CredentialObserver;
      reminder?: ExpiryReminder;
      throttleBackoff?: ThrottleBackoff;
    } = {},
  ) {
    this.retrySchedule = new RetrySchedule(options.throttleBackoff);
    this.report = new RefreshReporter(source, this.clock, options);
  }

  /** The certificates of the identity in use, leaf first (empty before the first fetch, or for a source that does not tell). */
  certificates(): readonly CertificateInfo[] {
    return this.report.certificates();
  }

  /** The certificates that expire within the warning threshold, as of the last fetch. */
  expiringCertificates(): readonly ExpiringCertificate[] {
    return this.report.expiringCertificates();
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /**
   * How long until the next upstream attempt when no valid credentials are
   * cached and the last fetch failed (what a server puts in `Retry-After`);
   * undefined otherwise.
   */
  retryInMs(): number | undefined {
    if (this.lastFailure === undefined || this.validFor(0)) return undefined;
    return Math.max(0, this.nextUnavailableAttemptAt - this.clock.now());
  }

  /** Cached credentials, whatever their state, without fetching. */
  peek(): TemporaryCredentials | undefined {
    return this.entry?.credentials;
  }

  /**
   * Valid credentials: cached ones while outside the mandatory window (starting
   * a background refresh once the refresh point is passed), else fresh ones.
   */
  async get(options: { forceRefresh?: boolean } = {}): Promise<TemporaryCredentials> {
    const now = this.clock.now();
    const entry = this.entry;
    if (!options.forceRefresh && entry && now < entry.mandatoryAt) {
      if (now >= entry.refreshAt && !this.inflight && now >= this.nextAttemptAt) {
        this.refresh(true).catch(() => {
          /* logged in refresh(); the cached credentials are still good */
        });
      }
      return entry.credentials;
    }
    if (!options.forceRefresh && entry && now < this.nextAttemptAt && this.validFor(COVER_MS)) {
      // The last refresh failed moments ago: do not hammer the service while valid credentials remain.
      return entry.credentials;
    }
    if (!options.forceRefresh && !this.inflight && now < this.nextUnavailableAttemptAt && this.lastFailure !== undefined && !this.validFor(0)) {
      // Nothing valid is left and the last fetch failed moments ago: one upstream attempt per backoff
      // interval, however many callers ask meanwhile; they get the failure at once.
      throw this.lastFailure;
    }
    const fetched = this.fetchForCaller(options.forceRefresh === true);
    const wait = this.options.policy?.maxWaitWhileValidMs;
    if (wait === undefined || options.forceRefresh || !this.validFor(0)) return fetched;
    return this.withinWait(fetched, wait);
  }

  /**
   * A fetch a caller waits for; when it fails, the cached credentials while
   * they are valid. A caller that joined a background fetch (a single attempt)
   * which failed gets a fetch with retries of its own when it needs one.
   */
  private async fetchForCaller(forceRefresh: boolean): Promise<TemporaryCredentials> {
    const joinedBackground = this.inflight !== undefined && this.inflightBackground;
    let failure: unknown;
    try {
      return await this.refresh();
    } catch (error) {
      failure = error;
    }
    if (joinedBackground && (forceRefresh || !this.validFor(COVER_MS))) {
      try {
        return await this.refresh();
      } catch (error) {
        failure = error;
      }
    }
    // A failed refresh in the mandatory window leaves the cached credentials usable until they expire.
    const current = this.entry;
    if (!forceRefresh && current && this.validFor(0)) {
      if (this.staleReported === failure) return current.credentials;
      this.staleReported = failure;
      this.report.servedWhileStale(current.credentials.expiration, failure);
      return current.credentials;
    }
    throw failure;
  }

  /** `fetched`, or the cached credentials when it takes longer than `ms` and they are still valid then. */
  private withinWait(fetched: Promise<TemporaryCredentials>, ms: number): Promise<TemporaryCredentials> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(() => {
        if (!this.entry || !this.validFor(0)) return;
        if (this.staleReported !== fetched) {
          this.staleReported = fetched;
          this.report.servedWhileStale(this.entry.credentials.expiration, undefined);
        }
        resolve(this.entry.credentials);
      }, ms);
      fetched.then(
        (credentials) => {
          timer.cancel();
          resolve(credentials);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }

  /** Whether the cached credentials are valid for more than `ms` from now. */
  private validFor(ms: number): boolean {
    return this.entry !== undefined && this.entry.credentials.expiration.getTime() - this.clock.now() > ms;
  }

  /** Starts a fetch, or joins the one under way. `background`: valid credentials remain cached. */
  refresh(background = false): Promise<TemporaryCredentials> {
    if (this.inflight) {
      this.joinedCount++;
      return this.inflight;
    }
    const valid = background && this.entry !== undefined && this.entry.mandatoryAt > this.clock.now();
    this.inflightBackground = valid;
    // Paced after a failure: each interval gets one attempt (not one with retries of its own), the backoff is the cache's.
    const singleAttempt = valid || (this.lastFailure !== undefined && this.options.policy?.unavailableRetryDelayMs !== undefined);
    const run = async (): Promise<TemporaryCredentials> => {
      this.fetchCount++;
      const started = this.clock.now();
      this.report.started(started, valid);
      try {
        // A process that keeps trying by itself does not add quick retries to a throttled attempt: the schedule spaces them.
        const paced = this.options.policy?.autoRefresh === true;
        const credentials = await this.source.fetchCredentials({ background: singleAttempt, ...(paced ? { retryThrottling: false } : {}) });
        this.contended = this.failures > 0 || this.entry === undefined;
        this.store(credentials);
        this.lastSuccessAt = this.clock.now();
        this.report.succeeded(started, credentials.expiration, this.entry!.refreshAt);
        return credentials;
      } catch (error) {
        this.failures++;
        this.lastFailure = error;
        const next = this.retrySchedule.next(
          { failures: this.failures, error, valid: this.validFor(0), obtainedBefore: this.entry !== undefined },
          this.options.policy ?? {},
          () => this.clock.random(),
        );
        this.nextAttemptAt = this.clock.now() + next.attemptInMs;
        this.nextUnavailableAttemptAt = this.clock.now() + next.unavailableInMs;
        this.report.failed(started, error, this.validFor(0) ? this.entry!.credentials.expiration : undefined, this.nextAttemptAt);
        this.schedule(this.nextAttemptAt);
        throw error;
      } finally {
        this.inflight = undefined;
      }
    };
    this.inflight = run();
    return this.inflight;
  }

  private store(credentials: TemporaryCredentials): void {
    const now = this.clock.now();
    const expiry = credentials.expiration.getTime();
    const lifetime = Math.max(0, expiry - now);
    const policy = this.options.policy ?? {};
    const mandatoryAt = expiry - Math.min(policy.mandatoryWindowMs ?? 5 * MINUTE, lifetime / 3);
    const steady = Math.min(mandatoryAt, expiry - Math.min(15 * MINUTE, lifetime / 2));
    const refreshAt =
      policy.jitter === false || !this.contended ? steady : now + lifetime / 2 + this.clock.random() * Math.max(0, mandatoryAt - (now + lifetime / 2));
    this.entry = { credentials, refreshAt, mandatoryAt };
    this.failures = 0;
    this.nextAttemptAt = 0;
    this.lastFailure = undefined;
    this.schedule(refreshAt);
  }

  private schedule(at: number): void {
    if (!this.options.policy?.autoRefresh || this.closed) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.refresh(true).catch(() => {
          /* logged; rescheduled by refresh() */
        });
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Stops the refresh timer and releases the source. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.source.close?.();
  }
}
