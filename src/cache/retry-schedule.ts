import { ServiceError } from "../core/errors.js";

const MINUTE = 60_000;

/**
 * How the wait grows over throttled fetches while no valid credentials are
 * held (the names of the AWS Architecture Blog's "Exponential Backoff And
 * Jitter"):
 * - `decorrelated`: uniform between the first delay and three times the previous one;
 * - `full`: uniform between 0 and the first delay doubled per throttled fetch;
 * - `equal`: the first delay doubled per throttled fetch, times a factor uniform in [0.5, 1).
 * Each at most the largest delay.
 */
export type ThrottleJitter = "decorrelated" | "full" | "equal";

/** The schedule after throttling with no valid credentials. */
export interface ThrottleBackoff {
  /** First delay in ms. */
  firstDelayMs: number;
  /** Largest delay in ms. */
  maxDelayMs: number;
  jitter: ThrottleJitter;
  /**
   * How a `Retry-After` is taken: `bounded` (the default) lengthens the wait
   * to it, by at most {@link RETRY_AFTER_EXTENSION_MS}; `floor` waits at least
   * that long, up to the largest delay (compared in docs/fleet.md).
   */
  retryAfter?: "bounded" | "floor";
}

/**
 * The defaults, chosen with the fleet simulation (docs/fleet.md): 10,000
 * devices starting in the same minute against a quota of 10 per second are
 * all served within 1.5 times the quota's floor (1,400 s), with fewer than 3
 * throttled requests per device on average.
 */
export const DEFAULT_THROTTLE_BACKOFF: ThrottleBackoff = { firstDelayMs: 60_000, maxDelayMs: 5 * MINUTE, jitter: "decorrelated" };

/**
 * The most a `Retry-After` lengthens a wait beyond the cache's own draw (the
 * AWS SDKs' retry behaviour of 2026 bounds `x-amz-retry-after` the same way):
 * a service can slow certcreds down a little, never park it (a huge value),
 * never hurry it (0), and never line a fleet up on one instant (the same
 * value sent to every device).
 */
export const RETRY_AFTER_EXTENSION_MS = 5_000;

/** What the schedule needs of the refresh policy. */
export interface SchedulePolicy {
  retryDelayMs?: number;
  unavailableRetryDelayMs?: number;
  throttledRetryDelayMs?: number;
  maxThrottledRetryDelayMs?: number;
}

/** A failed fetch, as the schedule sees it. */
export interface FailedFetch {
  /** Consecutive failed fetches, this one included (1: the first since credentials were last obtained). */
  failures: number;
  error: unknown;
  /** Whether valid credentials are still cached. */
  valid: boolean;
  /** Whether credentials were ever obtained (they may have expired since). */
  obtainedBefore: boolean;
}

/** When the next upstream attempts may be made, in ms from now. */
export interface NextAttempts {
  /** The next attempt of any kind (background refresh, or a caller's fetch while valid credentials cover it). */
  attemptInMs: number;
  /** With no valid credentials left, the next attempt made for callers. */
  unavailableInMs: number;
}

/** Whether a failure is the service throttling this caller (HTTP 429, or a throttling error type). */
export function isThrottling(error: unknown): boolean {
  return error instanceof ServiceError && error.throttling;
}

/** The service's `Retry-After` in ms, when it sent a usable one. */
function retryAfterMs(error: unknown): number | undefined {
  const seconds = error instanceof ServiceError ? error.retryAfterSeconds : undefined;
  return seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * The delays between a cache's attempts after failures. Throttling with no
 * valid credentials has a schedule of its own that grows to minutes: quick
 * retries from a whole fleet are what keep an account over its quota, and
 * waits spread over minutes are what let the quota serve the fleet. Other
 * failures keep the cache's exponential delays.
 */
export class RetrySchedule {
  /** Throttled fetches since credentials were last obtained, and the last delay they got. */
  private throttledInARow = 0;
  private previousThrottledMs = 0;

  constructor(private readonly throttleBackoff: ThrottleBackoff = DEFAULT_THROTTLE_BACKOFF) {}

  /** The delays after a failed fetch. */
  next(failed: FailedFetch, policy: SchedulePolicy, random: () => number): NextAttempts {
    if (failed.failures <= 1) this.throttledInARow = 0;
    const hint = retryAfterMs(failed.error);
    if (!failed.valid && isThrottling(failed.error)) {
      // A local server whose clients poll paces from its own short delay once it has served (a lapse is one process's
      // trouble); before its first credentials it may be one of a fleet booting together, and takes the fleet's schedule.
      const quick = failed.obtainedBefore ? policy.unavailableRetryDelayMs : undefined;
      const first = policy.throttledRetryDelayMs ?? quick ?? this.throttleBackoff.firstDelayMs;
      const cap = Math.max(first, policy.maxThrottledRetryDelayMs ?? this.throttleBackoff.maxDelayMs);
      const own = this.throttled(first, cap, random);
      const delay = this.throttleBackoff.retryAfter === "floor" ? Math.max(own, Math.min(hint ?? 0, cap)) : withRetryAfter(own, hint);
      return { attemptInMs: delay, unavailableInMs: delay };
    }
    const jitter = 0.5 + random() / 2;
    // While valid credentials remain, retries can wait long; once none remain, callers wait on the next attempt.
    const delay = Math.min((policy.retryDelayMs ?? 30_000) * 2 ** (failed.failures - 1), 5 * MINUTE);
    const firstUnavailable = policy.unavailableRetryDelayMs ?? policy.retryDelayMs ?? 30_000;
    const unavailable = Math.min(firstUnavailable * 2 ** (failed.failures - 1), 10 * firstUnavailable, 5 * MINUTE);
    const unavailableInMs = withRetryAfter(unavailable * jitter, hint);
    return { attemptInMs: failed.valid ? withRetryAfter(delay * jitter, hint) : unavailableInMs, unavailableInMs };
  }

  /** The next delay of the throttling schedule. */
  private throttled(first: number, cap: number, random: () => number): number {
    const count = ++this.throttledInARow;
    let delay: number;
    if (this.throttleBackoff.jitter === "decorrelated") {
      // The first: uniform in [first, 3·first]; then uniform in [first, 3·previous].
      const top = Math.max(first, 3 * (count === 1 ? first : this.previousThrottledMs));
      delay = Math.min(cap, first + random() * (top - first));
    } else {
      const ceiling = Math.min(cap, first * 2 ** (count - 1));
      delay = this.throttleBackoff.jitter === "full" ? random() * ceiling : ceiling * (0.5 + random() / 2);
    }
    this.previousThrottledMs = delay;
    return delay;
  }
}

/** `delayMs` lengthened to the service's `Retry-After`, by at most {@link RETRY_AFTER_EXTENSION_MS}. */
function withRetryAfter(delayMs: number, hintMs: number | undefined): number {
  return hintMs === undefined ? delayMs : Math.max(delayMs, Math.min(hintMs, delayMs + RETRY_AFTER_EXTENSION_MS));
}
