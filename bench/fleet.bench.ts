/**
 * Figures: the fleet simulation of docs/fleet.md (10,000 devices started in the same minute,
 * hour-long credentials, 24 simulated hours, CreateSession quota 10/s), with and without refresh jitter.
 */
import { simulateFleet } from "../test/fleet/simulator.js";
import type { BenchFact, BenchOutput } from "./harness.js";

export default async function (): Promise<BenchOutput> {
  const fleet = { devices: 10_000, startWindowMs: 60_000, durationMs: 24 * 3_600_000, lifetimeMs: 3_600_000, quotaPerSecond: 10 };
  const facts: BenchFact[] = [];
  for (const jitter of [true, false]) {
    const r = await simulateFleet({ ...fleet, jitter });
    const label = jitter ? "with jitter" : "without jitter";
    facts.push(
      {
        issue: "#6",
        name: `fleet ${label}: requests / throttled / peak per second (first hour · after it · from hour 3)`,
        value: `${r.requests} / ${r.throttled} / ${r.peakPerSecond} · ${r.peakPerSecondAfterFirstHour} · ${r.peakPerSecondAfterThirdHour}`,
        ...(jitter ? { goal: "≤ 10/s from hour 3", met: r.peakPerSecondAfterThirdHour <= 10 } : {}),
      },
      {
        issue: "#6",
        name: `fleet ${label}: seconds over / at the quota after the first hour`,
        value: `${r.secondsOverQuotaAfterFirstHour} / ${r.secondsAtQuotaAfterFirstHour} of 82,800`,
      },
      {
        issue: "#6",
        name: `fleet ${label}: lapses (credentials expired before renewal), devices without credentials at the end`,
        value: `${r.lapses}, ${r.devicesWithoutCredentialsAtEnd} (all served after ${r.allServedAfterSeconds} s)`,
        goal: "0, 0",
        met: r.lapses === 0 && r.devicesWithoutCredentialsAtEnd === 0,
      },
    );
  }
  return { rows: [], facts };
}
