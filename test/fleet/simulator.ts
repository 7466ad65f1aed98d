/**
 * Fleet simulation: N devices, each with its own real CredentialCache and
 * retry logic, on one simulated clock, against a CreateSession quota. Only the
 * network is simulated; the refresh and retry code is the product's own.
 */
import type { Clock } from "../../src/core/clock.js";
import { CredentialCache, type RefreshPolicy } from "../../src/cache/credential-cache.js";
import type { ThrottleBackoff } from "../../src/cache/retry-schedule.js";
import type { CredentialSource, TemporaryCredentials } from "../../src/core/credentials.js";
import { createSessionError } from "../../src/mechanisms/roles-anywhere/service-errors.js";
import { attemptPlan, type RetryOptions, withRetries } from "../../src/transport/retry.js";

/** A discrete-event clock: timers in a binary heap, time jumps from one to the next. */
class SimulationClock implements Clock {
  current = 0;
  private heap: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  constructor(private readonly rng: () => number) {}
  now(): number {
    return this.current;
  }
  random(): number {
    return this.rng();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }
  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const entry = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }
  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(entry: (typeof this.heap)[number]): void {
    const h = this.heap;
    h.push(entry);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  private pop(): (typeof this.heap)[number] | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
  /** Runs every timer up to `until`, letting promise chains settle after each instant. */
  async run(until: number): Promise<void> {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > until) break;
      this.current = next.at;
      while (this.heap[0] && this.heap[0].at === this.current) {
        const timer = this.pop()!;
        if (!timer.cancelled) timer.fn();
      }
      // Drain the microtasks the timers started (fetches, retries, cache updates).
      for (let i = 0; i < 8; i++) await Promise.resolve();
    }
    this.current = until;
  }
}

/** A deterministic PRNG (mulberry32) so that runs are repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FleetOptions {
  devices: number;
  /** Devices start uniformly within this window (ms). */
  startWindowMs: number;
  /** Simulated duration (ms). */
  durationMs: number;
  /** Credential lifetime (ms). */
  lifetimeMs: number;
  /** CreateSession quota: requests per one-second window. */
  quotaPerSecond: number;
  /** certcreds' refresh jitter on or off. */
  jitter: boolean;
  seed?: number;
  /** Retry policy of each fetch (default: the product's). */
  retry?: RetryOptions;
  /** More of the refresh policy (default: the product's, with `autoRefresh` and `jitter` as above). */
  policy?: RefreshPolicy;
  /** Another throttling schedule of the product's (default: the product's default). */
  throttleBackoff?: ThrottleBackoff;
  /**
   * Retry a throttled attempt within its fetch even when the cache paces throttling (what every fetch did
   * before the throttling schedule; with `equal` jitter from 30 s to 5 minutes this is the former product).
   */
  quickRetriesWhenThrottled?: boolean;
  /**
   * What the service puts in `Retry-After` when it throttles (default none, as AWS documents):
   * - `next-second`: `1`, a naive limiter's "next window";
   * - `drain`: the time the quota needs to serve every device it throttled and has not served since;
   * - `tickets`: each throttled device's own turn: the next free slot of the quota, kept until it is served;
   * - `hostile`: a huge, negative or garbage value.
   */
  retryAfter?: "none" | "next-second" | "drain" | "tickets" | "hostile";
}

export interface FleetResult {
  requests: number;
  throttled: number;
  /** Highest requests in any one second, over the whole run and after the first hour. */
  peakPerSecond: number;
  peakPerSecondAfterFirstHour: number;
  /** Highest requests in any one second from the third hour on (the settled fleet). */
  peakPerSecondAfterThirdHour: number;
  /** Throttled requests after the first hour. */
  throttledAfterFirstHour: number;
  /** Seconds with exactly the quota's number of requests (no headroom left for anything else), after the first hour. */
  secondsAtQuotaAfterFirstHour: number;
  /** Seconds with more requests than the quota, after the first hour. */
  secondsOverQuotaAfterFirstHour: number;
  /** Devices that held no valid credentials at the end / moments a device's credentials expired before renewal. */
  devicesWithoutCredentialsAtEnd: number;
  lapses: number;
  /** When the last device obtained its first credentials (s after start), from the service's answers. */
  allServedAfterSeconds: number;
  /** Throttled requests in the first hour: in all, per device on average, the most any one device got. */
  throttledFirstHour: number;
  throttledPerDeviceFirstHour: number;
  maxThrottledPerDeviceFirstHour: number;
  /** Throttled requests per device until the last device got its first credentials, and the most any one device got in the run (for fleets whose start outlasts an hour). */
  throttledPerDeviceUntilAllServed: number;
  maxThrottledPerDevice: number;
  /** Seconds until half, and until 99 %, of the devices had credentials. */
  halfServedAfterSeconds: number;
  p99ServedAfterSeconds: number;
}

export async function simulateFleet(options: FleetOptions): Promise<FleetResult> {
  const rng = seeded(options.seed ?? 42);
  const clock = new SimulationClock(rng);
  const perSecond = new Map<number, number>();
  let requests = 0;
  let throttled = 0;
  let throttledAfterFirstHour = 0;
  let window = -1;
  let inWindow = 0;

  const throttledFirstHourOf = new Uint32Array(options.devices);
  const throttledOf = new Uint32Array(options.devices);
  const throttledPerSecond = new Map<number, number>();
  const waiting = new Uint8Array(options.devices);
  let waitingCount = 0;
  const ticket = new Float64Array(options.devices);
  let nextTicket = 0;
  const hostile = ["86400", "-5", "soon", "1e9", "0x10", "Infinity", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"];
  const retryAfter = (device: number): string | undefined => {
    switch (options.retryAfter ?? "none") {
      case "none":
        return undefined;
      case "next-second":
        return "1";
      case "drain":
        if (!waiting[device]) {
          waiting[device] = 1;
          waitingCount++;
        }
        return String(Math.ceil(waitingCount / options.quotaPerSecond));
      case "tickets":
        if (!ticket[device]) {
          nextTicket = Math.max(nextTicket, clock.now()) + 1000 / options.quotaPerSecond;
          ticket[device] = nextTicket;
        }
        return String(Math.max(1, Math.ceil((ticket[device]! - clock.now()) / 1000)));
      case "hostile":
        return hostile[Math.floor(rng() * hostile.length)];
    }
  };
  const errorContext = { region: "us-east-1", trustAnchorArn: "arn:ta", profileArn: "arn:profile", roleArn: "arn:role" };

  /**
   * The service: a fixed one-second quota window; over it answers 429 ThrottlingException, read by the
   * mechanism's own error parsing (Retry-After included).
   */
  const createSession = (device: number): TemporaryCredentials => {
    const second = Math.floor(clock.now() / 1000);
    requests++;
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    if (second !== window) {
      window = second;
      inWindow = 0;
    }
    if (++inWindow > options.quotaPerSecond) {
      throttled++;
      throttledPerSecond.set(second, (throttledPerSecond.get(second) ?? 0) + 1);
      throttledOf[device]!++;
      if (second >= 3600) throttledAfterFirstHour++;
      else throttledFirstHourOf[device]!++;
      const value = retryAfter(device);
      const body = Buffer.from(JSON.stringify({ message: "Rate exceeded" }));
      const response = { status: 429, headers: { "x-amzn-errortype": "ThrottlingException", ...(value === undefined ? {} : { "retry-after": value }) }, body };
      throw createSessionError(response, errorContext, clock.now());
    }
    firstServedAt[device] ??= clock.now();
    ticket[device] = 0;
    if (waiting[device]) {
      waiting[device] = 0;
      waitingCount--;
    }
    return { accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t", expiration: new Date(clock.now() + options.lifetimeMs) };
  };

  const caches: CredentialCache[] = [];
  const firstServedAt: number[] = [];
  let lapses = 0;
  for (let device = 0; device < options.devices; device++) {
    const source: CredentialSource = {
      name: "simulated Roles Anywhere",
      // The mechanisms' attempt loop: the plan the cache asks for (one attempt in the background, no quick
      // retry of throttling when the cache paces it, else 3 attempts with full jitter) around each fetch.
      fetchCredentials: (context) => {
        const asked = options.quickRetriesWhenThrottled && context ? { background: context.background } : context;
        return withRetries(async () => createSession(device), attemptPlan(asked, options.retry), clock, undefined, "CreateSession");
      },
    };
    const cache = new CredentialCache(source, {
      clock,
      policy: { ...options.policy, autoRefresh: true, jitter: options.jitter },
      ...(options.throttleBackoff ? { throttleBackoff: options.throttleBackoff } : {}),
    });
    caches.push(cache);
    clock.setTimer(() => {
      cache.get().then(
        () => undefined,
        () => {
          /* rescheduled by the cache's own failure backoff */
        },
      );
    }, rng() * options.startWindowMs);
  }
  // Sample every device each minute: a device whose credentials expired while it had had some is a lapse.
  const sample = () => {
    for (const cache of caches) {
      const held = cache.peek();
      if (held && held.expiration.getTime() <= clock.now()) lapses++;
    }
    if (clock.now() + 60_000 <= options.durationMs) clock.setTimer(sample, 60_000);
  };
  clock.setTimer(sample, 60_000);
  // Hundreds of thousands of throttling errors: their stack traces are a sixth of the run and never read.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await clock.run(options.durationMs);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  const hour = 3600;
  let peak = 0;
  let peakAfter = 0;
  let peakSettled = 0;
  let over = 0;
  let atQuota = 0;
  for (const [second, count] of perSecond) {
    peak = Math.max(peak, count);
    if (second >= hour) {
      peakAfter = Math.max(peakAfter, count);
      if (count > options.quotaPerSecond) over++;
      if (count === options.quotaPerSecond) atQuota++;
    }
    if (second >= 3 * hour) peakSettled = Math.max(peakSettled, count);
  }
  const end = clock.now();
  const histogram: Record<number, number> = {};
  for (const [second, count] of perSecond) if (second >= hour) histogram[count] = (histogram[count] ?? 0) + 1;
  if (process.env.FLEET_HISTOGRAM) {
    console.log(
      JSON.stringify(histogram),
      [...perSecond].filter(([sec, c]) => sec >= hour && c > options.quotaPerSecond).map(([sec]) => sec),
    );
  }
  const served = Array.from({ length: options.devices }, (_, device) => firstServedAt[device] ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  let throttledFirstHour = 0;
  let maxThrottled = 0;
  for (const count of throttledFirstHourOf) {
    throttledFirstHour += count;
    maxThrottled = Math.max(maxThrottled, count);
  }
  let throttledUntilAllServed = 0;
  for (const [second, count] of throttledPerSecond) if (second * 1000 <= served.at(-1)!) throttledUntilAllServed += count;
  return {
    requests,
    throttled,
    peakPerSecond: peak,
    peakPerSecondAfterFirstHour: peakAfter,
    peakPerSecondAfterThirdHour: peakSettled,
    throttledAfterFirstHour,
    secondsOverQuotaAfterFirstHour: over,
    secondsAtQuotaAfterFirstHour: atQuota,
    devicesWithoutCredentialsAtEnd: caches.filter((c) => !c.peek() || c.peek()!.expiration.getTime() <= end).length,
    lapses,
    allServedAfterSeconds: Math.round(served.at(-1)! / 1000),
    halfServedAfterSeconds: Math.round(served[Math.floor(options.devices / 2)]! / 1000),
    p99ServedAfterSeconds: Math.round(served[Math.ceil(options.devices * 0.99) - 1]! / 1000),
    throttledFirstHour,
    throttledPerDeviceUntilAllServed: throttledUntilAllServed / options.devices,
    maxThrottledPerDevice: throttledOf.reduce((a, b) => Math.max(a, b), 0),
    throttledPerDeviceFirstHour: throttledFirstHour / options.devices,
    maxThrottledPerDeviceFirstHour: maxThrottled,
  };
}
