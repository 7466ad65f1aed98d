/**
 * The trade-off tables of docs/fleet.md: the start of a fleet (10,000 devices
 * in one minute, quota 10/s) under throttling schedules of the product's,
 * Retry-After behaviours of the service, and `serve`'s pacing; with `--big`,
 * the 100,000-device runs instead (minutes, 1.5 GB). Prints Markdown.
 *
 *   node --import tsx test/fleet/trade-off.ts [--big]
 */
import type { ThrottleBackoff } from "../../src/cache/retry-schedule.js";
import { type FleetOptions, type FleetResult, simulateFleet } from "./simulator.js";

const base: FleetOptions = { devices: 10_000, startWindowMs: 60_000, durationMs: 70 * 60_000, lifetimeMs: 3_600_000, quotaPerSecond: 10, jitter: true };
const S = 1000;
const schedule = (jitter: ThrottleBackoff["jitter"], first: number, cap: number): ThrottleBackoff => ({ firstDelayMs: first * S, maxDelayMs: cap * S, jitter });
const before: Partial<FleetOptions> = { quickRetriesWhenThrottled: true, throttleBackoff: schedule("equal", 30, 300) };

function row(label: string, options: FleetOptions, r: FleetResult): string {
  const floor = options.devices / options.quotaPerSecond;
  // In the first hour (the goal's measure) when every device was served in it; else until the last one was.
  const perDevice = r.allServedAfterSeconds <= 3600 ? r.throttledPerDeviceFirstHour : r.throttledPerDeviceUntilAllServed;
  const last = Number.isFinite(r.allServedAfterSeconds)
    ? `${r.allServedAfterSeconds.toLocaleString("en")} s (${(r.allServedAfterSeconds / floor).toFixed(2)} ×)`
    : "not all";
  return `| ${label} | ${perDevice.toFixed(2)} (${r.maxThrottledPerDevice}) | ${last} | ${Number.isFinite(r.p99ServedAfterSeconds) ? `${r.p99ServedAfterSeconds.toLocaleString("en")} s` : "not all"} | ${r.lapses} |`;
}

async function table(title: string, rows: [string, Partial<FleetOptions>][], over: FleetOptions = base): Promise<void> {
  console.log(
    `\n${title}\n\n| policy | throttled per device (most for one) | last device served (× floor) | 99 % served | lapses |\n| --- | --- | --- | --- | --- |`,
  );
  for (const [label, extra] of rows) {
    const options = { ...over, ...extra };
    console.log(row(label, options, await simulateFleet(options)));
  }
}

if (!process.argv.includes("--big")) {
  await table("Throttling schedule (library device: `autoRefresh`, no Retry-After)", [
    ["before: 3 quick attempts per fetch, equal jitter 30 s → 5 min", before],
    ["one request per throttled fetch, equal jitter 30 s → 5 min", { throttleBackoff: schedule("equal", 30, 300) }],
    ["equal jitter 60 s → 5 min", { throttleBackoff: schedule("equal", 60, 300) }],
    ["equal jitter 120 s → 5 min", { throttleBackoff: schedule("equal", 120, 300) }],
    ["full jitter 60 s → 5 min", { throttleBackoff: schedule("full", 60, 300) }],
    ["full jitter 120 s → 10 min", { throttleBackoff: schedule("full", 120, 600) }],
    ["decorrelated 30 s → 5 min", { throttleBackoff: schedule("decorrelated", 30, 300) }],
    ["decorrelated 30 s → 10 min", { throttleBackoff: schedule("decorrelated", 30, 600) }],
    ["decorrelated 45 s → 5 min", { throttleBackoff: schedule("decorrelated", 45, 300) }],
    ["decorrelated 60 s → 4 min", { throttleBackoff: schedule("decorrelated", 60, 240) }],
    ["**decorrelated 60 s → 5 min (default)**", {}],
    ["decorrelated 60 s → 5 min, seed 1", { seed: 1 }],
    ["decorrelated 60 s → 5 min, seed 2", { seed: 2 }],
    ["decorrelated 60 s → 7 min", { throttleBackoff: schedule("decorrelated", 60, 420) }],
    ["decorrelated 60 s → 10 min", { throttleBackoff: schedule("decorrelated", 60, 600) }],
    ["decorrelated 90 s → 5 min", { throttleBackoff: schedule("decorrelated", 90, 300) }],
    ["decorrelated 120 s → 10 min", { throttleBackoff: schedule("decorrelated", 120, 600) }],
  ]);

  const floorRule: ThrottleBackoff = { ...schedule("decorrelated", 60, 300), retryAfter: "floor" };
  await table("Retry-After sent by the service (default schedule; `bounded`: at most 5 s more, `floor`: waited in full up to 5 min)", [
    ["none (what AWS documents)", {}],
    ["`1` (a naive limiter's next window), bounded", { retryAfter: "next-second" }],
    ["the same long wait to every device, bounded", { retryAfter: "drain" }],
    ["the same long wait to every device, floor", { retryAfter: "drain", throttleBackoff: floorRule }],
    ["each device its own turn, bounded", { retryAfter: "tickets" }],
    ["each device its own turn, floor", { retryAfter: "tickets", throttleBackoff: floorRule }],
    ["huge, negative or garbage, bounded", { retryAfter: "hostile" }],
    ["huge, negative or garbage, floor", { retryAfter: "hostile", throttleBackoff: floorRule }],
  ]);

  const servePolicy = { unavailableRetryDelayMs: 1_000, maxWaitWhileValidMs: 500 };
  await table("`serve` (its 1 s pacing)", [
    [
      "before: 3 quick attempts, then 1 s doubling to 10 s",
      { ...before, throttleBackoff: schedule("equal", 1, 10), policy: { ...servePolicy, throttledRetryDelayMs: 1_000, maxThrottledRetryDelayMs: 10_000 } },
    ],
    ["now: the fleet's schedule until its first credentials", { policy: servePolicy }],
  ]);
}

if (process.argv.includes("--big")) {
  const big = { ...base, devices: 100_000, durationMs: 4 * 3_600_000 };
  await table("100,000 devices", [["quota raised to 100/s, hour-long credentials", { quotaPerSecond: 100 }]], big);
  const slow = { ...big, durationMs: 6 * 3_600_000, lifetimeMs: 12 * 3_600_000 };
  await table(
    "",
    [
      ["quota 10/s, 12-hour credentials (floor 10,000 s)", {}],
      ["the same, maxThrottledRetryDelayMs 30 min", { policy: { maxThrottledRetryDelayMs: 30 * 60_000 } }],
    ],
    slow,
  );
}
