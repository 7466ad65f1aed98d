/**
 * Soak: `certcreds serve` (the built CLI, spawned) through at least 50
 * refresh cycles of 3-second credentials from the Roles Anywhere emulator,
 * under continuous keep-alive client load on both consumer protocols, with
 * a seeded random fault on about a third of the upstream calls. Counts what
 * matters and prints it on one line:
 * - client requests that failed while valid credentials existed (goal 0),
 * - successful CreateSession calls per refresh (goal 1) and attempts per refresh,
 * - the serve process's memory growth (goal flat).
 * Bounded: stops after 52 refreshes or 150 s, whichever comes first.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { RolesAnywhereFault } from "../../testing/index.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, startServe } from "../helpers/cli.js";
import { IssueLog, rssOf, ServeLoad, seededRandom } from "../helpers/serve-clients.js";

const LIFETIME_SECONDS = 3;
const REFRESHES = 52;
const HARD_CAP_MS = 150_000;
const SEED = 0x5eed_0006;
const MB = 1024 * 1024;
/** Memory growth allowed between the end of warm-up and the end of the run. */
const RSS_GROWTH_LIMIT = 30 * MB;

let f: RolesAnywhereFixture;
let issues: IssueLog;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: LIFETIME_SECONDS } });
  issues = new IssueLog(f.ra.issued);
});
after(() => f?.close());

/**
 * The upstream's behaviour, one entry per CreateSession attempt, from a
 * seeded generator: 45 % of attempts fail (500, 429, reset before or during
 * the answer, malformed body), 12 % are slow but succeed, the rest are
 * normal. Failures come in streaks too: three in a row defeat a caller's
 * whole fetch (3 attempts), and with 3-second credentials that leaves at
 * most a second of validity — exactly where serve must not give up early.
 */
function faultSchedule(length: number): { schedule: RolesAnywhereFault[]; longestStreak: number } {
  const random = seededRandom(SEED);
  const failingKinds: RolesAnywhereFault[] = [
    { status: 500, errorType: "InternalServerException", message: "soak 500" },
    { status: 429, errorType: "ThrottlingException", message: "Rate exceeded" },
    { resetConnection: true },
    { resetMidBody: true },
    { malformedBody: true },
  ];
  const schedule: RolesAnywhereFault[] = [];
  let streak = 0;
  let longestStreak = 0;
  for (let i = 0; i < length; i++) {
    const roll = random();
    if (roll < 0.43) {
      schedule.push({}); // no fault: a normal answer
      streak = 0;
    } else if (roll < 0.55) {
      schedule.push({ delayMs: 100 + Math.floor(random() * 500) }); // slow but successful
      streak = 0;
    } else {
      schedule.push(failingKinds[Math.floor(random() * failingKinds.length)]!);
      longestStreak = Math.max(longestStreak, ++streak);
    }
  }
  return { schedule, longestStreak };
}

test(`serve through ${REFRESHES} refreshes of ${LIFETIME_SECONDS}-second credentials under client load and random upstream faults`, {
  timeout: HARD_CAP_MS + 60_000,
}, async () => {
  const { schedule, longestStreak } = faultSchedule(300);
  assert.ok(longestStreak >= 3, "the schedule holds streaks that defeat a whole fetch");
  for (const fault of schedule) f.ra.inject(fault);

  const served = await startServe(f.args, { env: f.env });
  const pid = served.cli.child.pid!;
  // The SDKs' deadline for these endpoints: 1 s.
  const load = await new ServeLoad(served, { containerClients: 2, imdsClients: 2, pauseMs: 5, timeoutMs: 1000 }).start();
  const started = Date.now();
  let rssStart = 0;
  let rssPeak = 0;
  let rssEnd = 0;
  try {
    // Warm-up: a few cycles, so that JIT, TLS and socket buffers have settled before measuring memory.
    while (f.ra.createSessionCount < 4 && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 100));
    rssStart = await rssOf(pid);
    const baseline = f.ra.createSessionCount;
    while (f.ra.createSessionCount - 1 < REFRESHES && Date.now() - started < HARD_CAP_MS) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      rssPeak = Math.max(rssPeak, await rssOf(pid));
    }
    rssEnd = await rssOf(pid);
    assert.ok(f.ra.createSessionCount > baseline, "refreshes happened after warm-up");
  } finally {
    await load.stop();
    await served.cli.stop();
    f.ra.clearFaults();
  }
  const elapsed = Date.now() - started;

  const answers = load.answers;
  const ok = answers.filter((a) => a.status === 200);
  const failed = answers.filter((a) => a.status !== 200);
  const failedWhileValid = failed.filter((a) => issues.validThroughout(a.start, a.end));
  // Serve decides between a request's start and its answer: credentials expired before the start were served expired.
  const expiredServed = ok.filter((a) => !(a.expiration! > a.start));
  const expiredInTransit = ok.filter((a) => a.expiration! > a.start && a.expiration! <= a.end);
  const foreign = ok.filter((a) => !f.ra.issued.has(a.accessKeyId!));
  const servedKeys = new Set(ok.map((a) => a.accessKeyId));
  const successful = f.ra.createSessionCount;
  const attempts = f.ra.requests.length;
  const refreshes = successful - 1; // the first call is the start, not a refresh
  const slowest = Math.max(...ok.map((a) => a.end - a.start));
  // What serve itself logged: each failed fetch, and each fetch a caller waited for that failed as a whole.
  const stderr = served.cli.stderr();
  const failedFetches = stderr.match(/credential refresh failed/g)?.length ?? 0;
  const defeatedInMandatoryWindow = stderr.match(/refresh failed inside the mandatory window/g)?.length ?? 0;
  const unavailable = stderr.match(/cannot serve credentials/g)?.length ?? 0;

  console.log(
    `soak-serve: ${refreshes} refresh cycles of ${LIFETIME_SECONDS} s credentials in ${(elapsed / 1000).toFixed(1)} s; ` +
      `${answers.length} client requests (${answers.filter((a) => a.endpoint === "container").length} container, ${answers.filter((a) => a.endpoint === "imds").length} IMDSv2), ` +
      `${failed.length} failed, ${failedWhileValid.length} of them while valid credentials existed, ${expiredServed.length} answers with expired credentials (${expiredInTransit.length} expired on the way), slowest answer ${slowest} ms; ` +
      `upstream CreateSession: ${successful} successful / ${attempts} attempts (${attempts - successful} met a fault) → ` +
      `${(successful / servedKeys.size).toFixed(2)} successful calls per refresh (every credential set obtained was served), ${(attempts / successful).toFixed(2)} attempts per refresh; ` +
      `serve logged ${failedFetches} failed fetches, ${defeatedInMandatoryWindow} times a whole fetch failed in the mandatory window and the still-valid credentials were served, ${unavailable} "cannot serve" errors; ` +
      `serve RSS ${(rssStart / MB).toFixed(1)} MB after warm-up → ${(rssEnd / MB).toFixed(1)} MB at the end (peak ${(rssPeak / MB).toFixed(1)} MB)`,
  );
  for (const a of failedWhileValid.slice(0, 5)) console.log(`failed while valid: ${JSON.stringify(a)}`);

  assert.ok(refreshes >= 50, `at least 50 refresh cycles within ${HARD_CAP_MS / 1000} s (got ${refreshes})`);
  assert.ok(answers.length > 1000, "continuous client load");
  assert.ok(attempts - successful >= 20, "faults met the refreshes");
  assert.equal(failedWhileValid.length, 0, "no client request failed while valid credentials existed");
  assert.equal(expiredServed.length, 0, "never expired credentials");
  assert.equal(foreign.length, 0, "only credentials the emulator issued");
  // One successful call per refresh: every credential set obtained reached clients (the last one perhaps not yet).
  assert.ok(successful - servedKeys.size <= 1, `${successful} successful CreateSession calls for ${servedKeys.size} credential sets served`);
  assert.ok(rssEnd - rssStart < RSS_GROWTH_LIMIT, `serve RSS grew by ${((rssEnd - rssStart) / MB).toFixed(1)} MB`);
});
