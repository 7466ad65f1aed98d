import type { Clock } from "../core/clock.js";
import type { FetchContext } from "../core/credentials.js";
import { isRetryable, ServiceError } from "../core/errors.js";
import { type Logger, logLine } from "../core/logger.js";

/** How a failed call is retried. */
export interface RetryOptions {
  /** Attempts in all, first included (default 3). */
  maxAttempts?: number;
  /** First backoff ceiling in ms (default 200); doubles each attempt. */
  baseDelayMs?: number;
  /** Largest backoff in ms (default 5000). */
  maxDelayMs?: number;
}

/**
 * Delay before attempt `attempt + 1`: exponential backoff with full jitter
 * (uniform in [0, min(max, base·2^attempt)]), so that clients that failed
 * together do not retry together. A `Retry-After` from the service is a floor.
 */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number, retryAfterSeconds?: number): number {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const jittered = Math.floor(random() * Math.min(max, base * 2 ** attempt));
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds)) {
    return Math.max(jittered, Math.min(retryAfterSeconds * 1000, 60_000));
  }
  return jittered;
}

/** How one fetch retries: the caller's options, and whether throttling is retried within it. */
export interface AttemptPlan extends RetryOptions {
  /** False: a throttled attempt ends the fetch (the cache paces throttled fetches itself). */
  retryThrottling?: boolean;
}

/**
 * The retries of one fetch for what the cache asks: a single attempt in the
 * background; no retry of throttling when the cache paces it; else the
 * caller's options.
 */
export function attemptPlan(context: FetchContext | undefined, retry: RetryOptions = {}): AttemptPlan {
  if (context?.background) return { ...retry, maxAttempts: 1 };
  return context?.retryThrottling === false ? { ...retry, retryThrottling: false } : retry;
}

/** Runs `call` until it succeeds, fails with a permanent error, or attempts run out. */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  options: AttemptPlan,
  clock: Clock,
  logger: Logger | undefined,
  what: string,
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt + 1 >= maxAttempts) throw error;
      if (options.retryThrottling === false && error instanceof ServiceError && error.throttling) throw error;
      const retryAfter = error instanceof ServiceError ? error.retryAfterSeconds : undefined;
      const delay = backoffDelay(attempt, options, () => clock.random(), retryAfter);
      const code = (error as { code?: unknown }).code;
      logLine(logger, "debug", "retry-scheduled", `certcreds: ${what} attempt ${attempt + 1} failed (${(error as Error).message}); retrying in ${delay} ms`, {
        request: what,
        attempt: attempt + 1,
        delayMs: delay,
        error: (error as Error).message,
        ...(typeof code === "string" ? { code } : {}),
      });
      await clock.sleep(delay);
    }
  }
}
