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
  setTimer(
    fn: () => void,
    ms: number,
  ): {
    /** Stops the timer before it fires. */
    cancel(): void;
  };
  /** A number in [0, 1) for jitter. */
  random(): number;
}

/**
 * The longest delay `setTimeout` honours: 2³¹−1 ms (24.8 days). A longer one
 * fires after 1 ms, which turned a credential expiring in 2199 into a refresh
 * loop; longer delays are waited for in chunks.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `fn` after `ms`, in chunks of at most {@link MAX_TIMER_MS}. */
function chunkedTimeout(fn: () => void, ms: number, unref: boolean): { cancel(): void } {
  const due = Date.now() + Math.max(0, Number.isFinite(ms) ? ms : MAX_TIMER_MS);
  let timer: ReturnType<typeof setTimeout>;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMER_MS));
    if (unref) timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Not unref'd: a caller is awaiting this backoff, and the process must live until it retries.
  sleep: (ms) => new Promise((resolve) => chunkedTimeout(() => resolve(), ms, false)),
  setTimer: (fn, ms) => chunkedTimeout(fn, ms, true),
  random: Math.random,
};
