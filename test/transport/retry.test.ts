import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkError, ServiceError } from "../../src/core/errors.js";
import { type AttemptPlan, attemptPlan, backoffDelay, withRetries } from "../../src/transport/retry.js";
import { SkippingClock } from "../helpers/fake-clock.js";

test("backoff: exponential ceiling with full jitter, Retry-After as a floor", () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(0, options, () => 0.999),
    99,
  );
  assert.equal(
    backoffDelay(3, options, () => 0.999),
    799,
  );
  assert.equal(
    backoffDelay(10, options, () => 0.999),
    999,
  );
  assert.equal(
    backoffDelay(10, options, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(0, options, () => 0, 2),
    2000,
  );
});

const throttling = () => new ServiceError("rolesanywhere", 429, "ThrottlingException", "Rate exceeded", "throttled");
const unavailable = () => new ServiceError("rolesanywhere", 503, "ServiceUnavailableException", "down", "down");

/** Runs withRetries over `failures` (then a success) and returns the attempts made and the sleeps between them. */
async function run(plan: AttemptPlan, failures: Error[]): Promise<{ attempts: number; sleeps: number[]; error?: unknown }> {
  const clock = new SkippingClock(0, 0.5);
  let attempts = 0;
  try {
    await withRetries(
      async () => {
        const failure = failures[attempts++];
        if (failure) throw failure;
        return "ok";
      },
      plan,
      clock,
      undefined,
      "CreateSession",
    );
    return { attempts, sleeps: clock.sleeps };
  } catch (error) {
    return { attempts, sleeps: clock.sleeps, error };
  }
}

test("a caller who waits: throttling and 5xx alike get 3 attempts with quick backoff", async () => {
  assert.deepEqual(await run(attemptPlan({ background: false }), [throttling(), throttling()]), { attempts: 3, sleeps: [100, 200] });
  assert.deepEqual(await run(attemptPlan(undefined), [unavailable(), unavailable()]), { attempts: 3, sleeps: [100, 200] });
});

test("paced by the cache (retryThrottling false): a throttled attempt ends the fetch; 5xx and network errors still get quick retries", async () => {
  const plan = attemptPlan({ background: false, retryThrottling: false }, { baseDelayMs: 100 });
  const throttled = await run(plan, [throttling()]);
  assert.equal(throttled.attempts, 1);
  assert.deepEqual(throttled.sleeps, []);
  assert.ok(throttled.error instanceof ServiceError && throttled.error.status === 429);
  assert.deepEqual(await run(plan, [unavailable(), new NetworkError("reset", "reset")]), { attempts: 3, sleeps: [50, 100] });
  // A throttle after a quick 5xx retry ends the fetch too.
  assert.equal((await run(plan, [unavailable(), throttling()])).attempts, 2);
});

test("attemptPlan: one attempt in the background, the caller's options otherwise", () => {
  assert.deepEqual(attemptPlan({ background: true }, { maxAttempts: 5, baseDelayMs: 10 }), { maxAttempts: 1, baseDelayMs: 10 });
  assert.deepEqual(attemptPlan({ background: false }, { maxAttempts: 5 }), { maxAttempts: 5 });
  assert.deepEqual(attemptPlan({ background: false, retryThrottling: false }), { retryThrottling: false });
  assert.deepEqual(attemptPlan({ background: true, retryThrottling: false }), { maxAttempts: 1 });
});
