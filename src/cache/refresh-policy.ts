/** When credentials are refreshed. */
export interface RefreshPolicy {
  /**
   * Inside this window before expiry, callers wait for fresh credentials
   * (default 5 minutes, at most a third of the lifetime).
   */
  mandatoryWindowMs?: number;
  /**
   * Spread refreshes (default true). The first refresh, and any refresh after
   * one that met a failure (throttling, errors), happens at a random point
   * between half of the lifetime and the mandatory window, so that a fleet
   * started together does not refresh together; a refresh that succeeded at
   * once keeps its phase (the next one comes 15 minutes before expiry, at most
   * half the lifetime), so devices that found a quiet moment stay there.
   * When false, always refresh 15 minutes before expiry.
   */
  jitter?: boolean;
  /** First delay before retrying a failed background refresh (default 30 s, doubling, at most 5 min). */
  retryDelayMs?: number;
  /**
   * With no valid credentials left after a failure, callers get the last
   * failure at once rather than a fetch of their own, however many there are.
   * Set, this is also the first delay between single upstream attempts,
   * doubling up to ten times it (at most 5 minutes): what a local server
   * whose clients poll wants (`serve`: 1 s, so at most 10 s between
   * attempts; after throttling see `throttledRetryDelayMs`). Unset, a failed fetch is retried on the `retryDelayMs` timer
   * with the mechanism's own retries, as a device in a fleet should (see
   * docs/fleet.md).
   */
  unavailableRetryDelayMs?: number;
  /**
   * With no valid credentials, the first delay after the service throttled
   * a fetch (default 1 minute; with `unavailableRetryDelayMs` set, that once
   * credentials were obtained). Later ones are drawn between it and three
   * times the previous one ("decorrelated jitter"), at most
   * `maxThrottledRetryDelayMs`; a `Retry-After` lengthens a wait by at most
   * 5 s. With `autoRefresh`, a throttled attempt is not retried at once
   * within its fetch either. A fleet that starts together is spread over its
   * quota instead of saturating it with quick retries (see docs/fleet.md).
   */
  throttledRetryDelayMs?: number;
  /** The longest wait after throttling with no valid credentials (default 5 minutes). */
  maxThrottledRetryDelayMs?: number;
  /** Refresh on a timer, not only when asked (servers, file writers). Default false. */
  autoRefresh?: boolean;
  /**
   * In the mandatory window, how long a caller waits for fresh credentials
   * while the cached ones are still valid; then it gets the cached ones and
   * the fetch carries on. Default: no limit. `serve` sets it so that a slow
   * or hanging upstream never stalls its clients (whose SDKs give up after
   * about a second) while it holds valid credentials.
   */
  maxWaitWhileValidMs?: number;
}
