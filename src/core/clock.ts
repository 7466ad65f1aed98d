/**
 * Time as certcreds sees it. Tests pass a fake one so that refresh windows,
 * backoff and expiry are tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Runs `fn` after `ms`; the timer does not keep the process alive. */
  setTimer(fn: () => void, ms: number): { cancel(): void };
  /** A number in [0, 1) for jitter. */
  random(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Not unref'd: a caller is awaiting this backoff, and the process must live until it retries.
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  random: Math.random,
};
