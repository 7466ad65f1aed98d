/**
 * `setTimeout` turns any delay above 2³¹−1 ms (24.8 days) into 1 ms: a
 * refresh scheduled by credentials that seem to last longer became a loop.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_TIMER_MS, systemClock } from "../../src/core/clock.js";

test("timers longer than 2^31-1 ms wait instead of firing at once", async () => {
  let fired = 0;
  const timers = [MAX_TIMER_MS + 1, MAX_TIMER_MS * 3, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY].map((ms) => systemClock.setTimer(() => fired++, ms));
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const timer of timers) timer.cancel();
  assert.equal(fired, 0);
});

test("short timers and sleeps still fire on time, and cancel works", async () => {
  let fired = 0;
  systemClock.setTimer(() => fired++, 10);
  const cancelled = systemClock.setTimer(() => fired++, 20);
  cancelled.cancel();
  const started = Date.now();
  await systemClock.sleep(40);
  assert.ok(Date.now() - started >= 35);
  assert.equal(fired, 1);
});
