/**
 * The cache's delays after failures: the throttling schedule (decorrelated
 * jitter, its cap, serve's pacing), the unchanged schedule of other failures,
 * and how far a Retry-After is honoured.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THROTTLE_BACKOFF, RETRY_AFTER_EXTENSION_MS, RetrySchedule } from "../../src/cache/retry-schedule.js";
import { NetworkError, ServiceError } from "../../src/core/errors.js";

const S = 1000;
const throttled = (retryAfterSeconds?: number) =>
  new ServiceError("rolesanywhere", 429, "ThrottlingException", "Rate exceeded", "throttled", retryAfterSeconds);
const unavailable = (retryAfterSeconds?: number) => new ServiceError("rolesanywhere", 503, "ServiceUnavailableException", "down", "down", retryAfterSeconds);

/** The delays of `count` consecutive failed fetches with no valid credentials, `random` always returning `r`. */
function delays(count: number, error: unknown, r: number, policy = {}, schedule = new RetrySchedule(), obtainedBefore = false): number[] {
  return Array.from({ length: count }, (_, i) => schedule.next({ failures: i + 1, error, valid: false, obtainedBefore }, policy, () => r).unavailableInMs);
}

test("throttled with nothing valid: decorrelated jitter from 1 minute, each draw in [1 min, 3 × the previous], at most 5 minutes", () => {
  assert.deepEqual(DEFAULT_THROTTLE_BACKOFF, { firstDelayMs: 60 * S, maxDelayMs: 300 * S, jitter: "decorrelated" });
  assert.deepEqual(delays(4, throttled(), 0), [60 * S, 60 * S, 60 * S, 60 * S], "the low end never shrinks below the first delay");
  // r = 0.5: 60 + 0.5·(180 − 60) = 120; 60 + 0.5·(360 − 60) = 210; 60 + 0.5·(630 − 60) = 345 → the cap.
  assert.deepEqual(delays(4, throttled(), 0.5), [120 * S, 210 * S, 300 * S, 300 * S]);
  assert.ok(delays(10, throttled(), 0.999).every((d) => d <= 300 * S));
  // Each fetch is one attempt: the total wait over the first three is what spreads a fleet over minutes.
  const random = [0.9, 0.1, 0.7, 0.3, 0.5];
  const schedule = new RetrySchedule();
  let previous = 60 * S;
  for (const [i, r] of random.entries()) {
    const d = schedule.next({ failures: i + 1, error: throttled(), valid: false, obtainedBefore: false }, {}, () => r).unavailableInMs;
    assert.ok(d >= 60 * S && d <= Math.min(300 * S, 3 * previous), `draw ${i}: ${d} ms after ${previous} ms`);
    previous = d;
  }
});

test("a success starts the schedule again", () => {
  const schedule = new RetrySchedule();
  delays(3, throttled(), 0.9, {}, schedule);
  assert.equal(schedule.next({ failures: 1, error: throttled(), valid: false, obtainedBefore: true }, {}, () => 0.5).unavailableInMs, 120 * S);
});

test("the other jitters of the comparison in docs/fleet.md: full and equal", () => {
  const full = new RetrySchedule({ firstDelayMs: 30 * S, maxDelayMs: 100 * S, jitter: "full" });
  assert.deepEqual(delays(4, throttled(), 0.5, {}, full), [15 * S, 30 * S, 50 * S, 50 * S]);
  const equal = new RetrySchedule({ firstDelayMs: 30 * S, maxDelayMs: 100 * S, jitter: "equal" });
  assert.deepEqual(delays(4, throttled(), 0, {}, equal), [15 * S, 30 * S, 50 * S, 50 * S]);
});

test("the policy's throttledRetryDelayMs and maxThrottledRetryDelayMs", () => {
  assert.deepEqual(delays(3, throttled(), 0.5, { throttledRetryDelayMs: 10 * S, maxThrottledRetryDelayMs: 40 * S }), [20 * S, 35 * S, 40 * S]);
});

test("serve's pacing (unavailableRetryDelayMs): from 1 s after a lapse, the fleet's schedule before its first credentials", () => {
  const serve = { unavailableRetryDelayMs: 1_000 };
  assert.deepEqual(delays(2, throttled(), 0.5, serve, new RetrySchedule(), true), [2 * S, 3.5 * S], "it had credentials: back within seconds");
  assert.deepEqual(delays(2, throttled(), 0.5, serve, new RetrySchedule(), false), [120 * S, 210 * S], "booting: maybe one of a fleet");
});

test("other failures, and throttling while valid credentials remain, keep the exponential schedule", () => {
  const schedule = new RetrySchedule();
  // 30 s doubling, at most 5 minutes, times a factor in [0.5, 1): r = 0.5 → 0.75.
  const valid = [1, 2, 3, 5, 9].map(
    (failures) => schedule.next({ failures, error: throttled(), valid: true, obtainedBefore: true }, {}, () => 0.5).attemptInMs,
  );
  assert.deepEqual(valid, [22.5 * S, 45 * S, 90 * S, 225 * S, 225 * S]);
  assert.deepEqual(delays(3, new NetworkError("reset", "reset"), 0.5), [22.5 * S, 45 * S, 90 * S]);
  // serve: 1 s doubling, at most 10 s.
  assert.deepEqual(delays(6, unavailable(), 0.5, { unavailableRetryDelayMs: 1_000 }), [750, 1500, 3000, 6000, 7500, 7500]);
});

test("Retry-After lengthens a wait by at most 5 s: never shortens it, never parks the cache, never lines a fleet up", () => {
  assert.equal(RETRY_AFTER_EXTENSION_MS, 5_000);
  const one = (error: unknown, policy = {}) => delays(1, error, 0.5, policy)[0]!;
  assert.equal(one(throttled()), 120 * S);
  assert.equal(one(throttled(0)), 120 * S, "0 does not hurry it");
  assert.equal(one(throttled(60)), 120 * S, "shorter than its own draw: its own draw");
  assert.equal(one(throttled(123)), 123 * S, "a little longer: honoured");
  assert.equal(one(throttled(86_400)), 125 * S, "a day: 5 s more, not a day");
  assert.equal(one(throttled(Number.POSITIVE_INFINITY)), 120 * S);
  assert.equal(one(throttled(-5)), 120 * S);
  assert.equal(one(throttled(Number.NaN)), 120 * S);
  assert.equal(one(unavailable(4), { unavailableRetryDelayMs: 1_000 }), 4 * S, "serve honours a 503's Retry-After: 4");
  assert.equal(one(unavailable(3600), { unavailableRetryDelayMs: 1_000 }), 5.75 * S);
  const valid = new RetrySchedule().next({ failures: 1, error: throttled(3600), valid: true, obtainedBefore: true }, {}, () => 0.5);
  assert.equal(valid.attemptInMs, 27.5 * S);
  // The comparison's other rule: a floor, up to the cap.
  const floor = new RetrySchedule({ ...DEFAULT_THROTTLE_BACKOFF, retryAfter: "floor" });
  assert.deepEqual(delays(1, throttled(250), 0.5, {}, floor), [250 * S]);
  assert.deepEqual(delays(1, throttled(86_400), 0.5, {}, new RetrySchedule({ ...DEFAULT_THROTTLE_BACKOFF, retryAfter: "floor" })), [300 * S]);
});

test("throttling is HTTP 429 or a throttling error type (AWS query APIs send those with 400)", () => {
  assert.equal(throttled().throttling, true);
  const typed = new ServiceError("sts", 400, "Throttling", "Rate exceeded", "throttled");
  assert.equal(typed.throttling, true);
  assert.equal(typed.retryable, true);
  const invalid = new ServiceError("rolesanywhere", 400, "ValidationException", "bad", "bad");
  assert.equal(invalid.throttling, false);
  assert.equal(invalid.retryable, false);
  assert.equal(unavailable().throttling, false);
  assert.equal(unavailable().retryable, true);
});
