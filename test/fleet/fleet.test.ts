import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateFleet } from "./simulator.js";

// 10,000 devices started in the same minute, hour-long credentials, 24 hours, CreateSession quota 10/s.
// The model and the figures are in docs/fleet.md. Fake (simulated) clock: runs in seconds.
const fleet = { devices: 10_000, startWindowMs: 60_000, durationMs: 24 * 3_600_000, lifetimeMs: 3_600_000, quotaPerSecond: 10 };

test("with certcreds' refresh jitter the fleet settles under the quota and never lacks credentials", async () => {
  const result = await simulateFleet({ ...fleet, jitter: true });
  assert.equal(result.lapses, 0, "no device's credentials expired before renewal");
  assert.equal(result.devicesWithoutCredentialsAtEnd, 0);
  assert.ok(result.allServedAfterSeconds < 3600, "every device had credentials within the first hour");
  assert.ok(result.peakPerSecondAfterThirdHour <= fleet.quotaPerSecond, `settled peak ${result.peakPerSecondAfterThirdHour}/s`);
  assert.ok(result.secondsOverQuotaAfterFirstHour <= 30, `${result.secondsOverQuotaAfterFirstHour} seconds over quota after the first hour`);
  assert.ok(result.throttled > 0, "the start-up burst was throttled: the model does throttle");
});

test("without jitter the fleet also keeps credentials, but runs at the quota for long stretches", async () => {
  const result = await simulateFleet({ ...fleet, jitter: false });
  assert.equal(result.lapses, 0);
  assert.equal(result.devicesWithoutCredentialsAtEnd, 0);
  assert.ok(result.peakPerSecondAfterFirstHour <= fleet.quotaPerSecond);
  const jittered = await simulateFleet({ ...fleet, jitter: true });
  assert.ok(
    result.secondsAtQuotaAfterFirstHour > 3 * jittered.secondsAtQuotaAfterFirstHour,
    `at the quota: ${result.secondsAtQuotaAfterFirstHour} s without jitter vs ${jittered.secondsAtQuotaAfterFirstHour} s with`,
  );
});
