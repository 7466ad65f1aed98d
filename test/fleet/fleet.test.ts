import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateFleet } from "./simulator.js";

// 10,000 devices started in the same minute, hour-long credentials, 24 hours, CreateSession quota 10/s.
// The model and the figures are in docs/fleet.md. Fake (simulated) clock: runs in seconds.
const fleet = { devices: 10_000, startWindowMs: 60_000, durationMs: 24 * 3_600_000, lifetimeMs: 3_600_000, quotaPerSecond: 10 };
/** The quota's floor: the time the quota needs to serve every device once. */
const floorSeconds = fleet.devices / fleet.quotaPerSecond;
const jittered = simulateFleet({ ...fleet, jitter: true });

test("the first hour: at most 3 throttled requests per device, every device served within 1.5 × the quota's floor", async () => {
  const result = await jittered;
  assert.ok(result.throttled > 0, "the start-up burst was throttled: the model does throttle");
  assert.ok(result.throttledPerDeviceFirstHour <= 3, `${result.throttledPerDeviceFirstHour.toFixed(2)} throttled requests per device in the first hour`);
  assert.ok(result.allServedAfterSeconds <= 1.5 * floorSeconds, `the last device served after ${result.allServedAfterSeconds} s (floor ${floorSeconds} s)`);
  assert.ok(result.halfServedAfterSeconds <= 0.6 * floorSeconds, `half served after ${result.halfServedAfterSeconds} s: the quota was kept busy`);
});

test("with certcreds' refresh jitter the fleet settles under the quota and never lacks credentials", async () => {
  const result = await jittered;
  assert.equal(result.lapses, 0, "no device's credentials expired before renewal");
  assert.equal(result.devicesWithoutCredentialsAtEnd, 0);
  assert.ok(result.peakPerSecondAfterThirdHour <= fleet.quotaPerSecond, `settled peak ${result.peakPerSecondAfterThirdHour}/s`);
  assert.ok(result.secondsOverQuotaAfterFirstHour <= 30, `${result.secondsOverQuotaAfterFirstHour} seconds over quota after the first hour`);
  assert.ok(result.throttledAfterFirstHour <= 30, `${result.throttledAfterFirstHour} throttled after the first hour`);
});

test("without jitter the fleet also keeps credentials, but runs at the quota for long stretches", async () => {
  const result = await simulateFleet({ ...fleet, jitter: false });
  assert.equal(result.lapses, 0);
  assert.equal(result.devicesWithoutCredentialsAtEnd, 0);
  assert.ok(result.peakPerSecondAfterFirstHour <= fleet.quotaPerSecond);
  const withJitter = await jittered;
  assert.ok(
    result.secondsAtQuotaAfterFirstHour > 3 * withJitter.secondsAtQuotaAfterFirstHour,
    `at the quota: ${result.secondsAtQuotaAfterFirstHour} s without jitter vs ${withJitter.secondsAtQuotaAfterFirstHour} s with`,
  );
});

// The start alone (70 simulated minutes), whatever the service puts in Retry-After, and with serve's pacing.
const start = { ...fleet, durationMs: 70 * 60_000, jitter: true };

test("whatever Retry-After the service sends (1, the same long wait to every device, huge, negative, garbage), the start stays bounded", async () => {
  for (const retryAfter of ["next-second", "drain", "hostile"] as const) {
    const result = await simulateFleet({ ...start, retryAfter });
    assert.ok(result.throttledPerDeviceFirstHour <= 3, `${retryAfter}: ${result.throttledPerDeviceFirstHour.toFixed(2)} throttled per device`);
    assert.ok(result.allServedAfterSeconds <= 2 * floorSeconds, `${retryAfter}: all served after ${result.allServedAfterSeconds} s`);
  }
});

test("a fleet of `serve` (its 1 s pacing) boots as the library does: at most 3 throttled requests per device", async () => {
  const result = await simulateFleet({ ...start, policy: { unavailableRetryDelayMs: 1_000, maxWaitWhileValidMs: 500 } });
  assert.ok(result.throttledPerDeviceFirstHour <= 3, `${result.throttledPerDeviceFirstHour.toFixed(2)} throttled per device`);
  assert.ok(result.allServedAfterSeconds <= 1.5 * floorSeconds, `all served after ${result.allServedAfterSeconds} s`);
});
