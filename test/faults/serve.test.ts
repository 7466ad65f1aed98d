/**
 * `certcreds serve` (the built CLI, spawned) under each upstream fault, for
 * both mechanisms, with keep-alive clients of IMDSv2 and the container
 * endpoint whose deadline is 1 s — the AWS SDKs' default for these
 * endpoints. Checks, for every answer a client saw:
 * - while `serve` holds valid credentials, the answer is 200 with valid credentials (no failure, no stall);
 * - a 503 (with Retry-After) comes only when no valid credentials exist, with a JSON message naming the upstream failure;
 * - once the fault is gone, `serve` recovers by itself.
 * (test/cli/commands/serve-resilience.test.ts covers a persistent 503 for Roles Anywhere.)
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { IssuedCredentialStore, RecordedRequest } from "../../testing/index.js";
import { createIotFixture, createRolesAnywhereFixture, http, requireBuild, startServe, type Served } from "../helpers/cli.js";
import { type ClientAnswer, IssueLog, ServeLoad } from "../helpers/serve-clients.js";

/** What the scenarios need of either emulator; its faults share one shape. */
interface Upstream {
  name: string;
  issued: IssuedCredentialStore;
  requests: RecordedRequest[];
  inject(fault: UpstreamFault): void;
  clearFaults(): void;
}

interface UpstreamFault {
  status?: number;
  errorType?: string;
  message?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
  resetConnection?: boolean;
  resetMidBody?: boolean;
  malformedBody?: boolean;
  hang?: boolean;
  times?: number;
}

/** A mechanism's emulator and the `serve` arguments that reach it. */
interface Setup {
  upstream: Upstream;
  args: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

async function rolesAnywhere(lifetimeSeconds: number): Promise<Setup> {
  const f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds } });
  return { upstream: Object.assign(f.ra, { name: "Roles Anywhere" }), args: f.args, env: f.env, close: () => f.close() };
}

async function iot(lifetimeSeconds: number): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), "certcreds-faults-serve-"));
  const f = await createIotFixture(dir, { lifetimeSeconds });
  return {
    upstream: Object.assign(f.iot, { name: "IoT" }),
    args: f.args,
    env: { HOME: dir },
    async close() {
      await f.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Client load with the SDKs' 1 s deadline. */
function loadOn(served: Served): ServeLoad {
  return new ServeLoad(served, { containerClients: 1, imdsClients: 1, pauseMs: 20, timeoutMs: 1000 });
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Answers that were not 200 while `serve` held valid credentials, or 200 with credentials expired before the request. */
function violations(answers: ClientAnswer[], issues: IssueLog, issued: IssuedCredentialStore): string[] {
  const found: string[] = [];
  for (const a of answers) {
    if (a.status === 200) {
      if (!(a.expiration! > a.start)) found.push(`expired credentials served: ${JSON.stringify(a)}`);
      if (!issued.has(a.accessKeyId!)) found.push(`credentials the emulator never issued: ${a.accessKeyId}`);
    } else if (issues.validThroughout(a.start, a.end)) {
      found.push(`failed while valid credentials existed: ${JSON.stringify(a)}`);
    }
  }
  return found;
}

const PASSING_FAULTS: { name: string; fault: UpstreamFault }[] = [
  { name: "500", fault: { status: 500, errorType: "InternalServerException", message: "InternalFailure" } },
  { name: "503", fault: { status: 503, errorType: "ServiceUnavailableException", message: "Service Unavailable" } },
  { name: "429 without Retry-After", fault: { status: 429, errorType: "ThrottlingException", message: "Rate exceeded" } },
  { name: "429 with Retry-After: 1", fault: { status: 429, errorType: "ThrottlingException", message: "Rate exceeded", retryAfterSeconds: 1 } },
  { name: "connection reset", fault: { resetConnection: true } },
  { name: "connection reset mid-body", fault: { resetMidBody: true } },
  { name: "malformed body", fault: { malformedBody: true } },
  { name: "slow answer (1.5 s)", fault: { delayMs: 1500 } },
];

before(() => requireBuild());

describe("serve under upstream faults", { concurrency: true }, () => {
  for (const [mechanism, start, outage] of [
    ["Roles Anywhere", rolesAnywhere, { fault: { resetMidBody: true }, reason: /closed before a full answer/ }],
    ["IoT", iot, { fault: { status: 503, message: "Service Unavailable" }, reason: /HTTP 503: Service Unavailable/ }],
  ] as const) {
    test(`${mechanism}: each fault strikes a refresh twice (background attempt, then the first of a fetch); then an outage; then recovery`, {
      timeout: 90_000,
    }, async () => {
      // 6-second credentials: background refresh at 3–4 s, the mandatory window from 4 s.
      const setup = await start(6);
      const { upstream } = setup;
      const issues = new IssueLog(upstream.issued);
      const served = await startServe(setup.args, { env: setup.env });
      const load = await loadOn(served).start();
      try {
        // Each fault is injected right after a refresh, so that it meets the next refresh from its first attempt.
        const first = upstream.issued.size;
        await until(() => upstream.issued.size > first, 10_000, "a first refresh");
        for (const { name, fault } of PASSING_FAULTS) {
          const requests = upstream.requests.length;
          upstream.inject({ ...fault, times: 2 });
          const after = upstream.issued.size;
          await until(() => upstream.issued.size > after, 15_000, `credentials after the ${name} fault`);
          assert.ok(
            upstream.requests.length - requests >= (fault.delayMs ? 1 : 3),
            `${name}: the fault met the refresh (${upstream.requests.length - requests} attempts)`,
          );
        }
        assert.deepEqual(violations(load.answers, issues, upstream.issued), [], "no client failure while valid credentials existed, through every fault");

        // An outage that outlasts the credentials: 503 with the reason, only once none are valid; /healthz says so too.
        const outageStart = load.answers.length;
        upstream.inject({ ...outage.fault, times: 1_000_000 });
        await until(() => load.answers.slice(outageStart).filter((a) => a.status === 503).length >= 5, 15_000, "503 answers once the credentials expired");
        const health = await http(`${served.imdsEndpoint}/healthz`);
        assert.equal(health.status, 503);
        assert.equal(JSON.parse(health.body).status, "no valid credentials");
        const failures = load.answers.slice(outageStart).filter((a) => a.status !== 200);
        for (const failure of failures) {
          assert.equal(failure.status, 503, JSON.stringify(failure));
          assert.equal(failure.code, "CredentialsUnavailable");
          assert.match(failure.message!, /^certcreds has no valid credentials to serve: /);
          assert.match(failure.message!, outage.reason);
        }
        assert.deepEqual(violations(load.answers, issues, upstream.issued), [], "503 only when no valid credentials existed");

        // Recovery: the fault gone, the next upstream attempt (at most 10 s of backoff away) brings fresh credentials.
        upstream.clearFaults();
        const recoveryStart = load.answers.length;
        await until(() => load.answers.slice(recoveryStart).some((a) => a.status === 200), 15_000, "recovery");
        assert.equal((await http(`${served.imdsEndpoint}/healthz`)).status, 200);
      } finally {
        await load.stop();
        await served.cli.stop();
        await setup.close();
      }
      const answers = load.answers;
      console.log(
        `faults-serve ${mechanism}: ${answers.length} client answers, ${answers.filter((a) => a.status === 200).length} with valid credentials, ` +
          `${answers.filter((a) => a.status === 503).length} 503s (all while no valid credentials existed), slowest 200 in ${Math.max(...answers.filter((a) => a.status === 200).map((a) => a.end - a.start))} ms; ` +
          `${upstream.requests.length} upstream attempts for ${upstream.issued.size} credential sets`,
      );
    });

    test(`${mechanism}: an upstream that accepts and never answers does not stall clients while valid credentials exist`, { timeout: 90_000 }, async () => {
      // 36-second credentials: the background refresh (18–24 s) hangs until its 10 s deadline, into the mandatory window (from 24 s).
      const setup = await start(36);
      const { upstream } = setup;
      const issues = new IssueLog(upstream.issued);
      const served = await startServe(setup.args, { env: setup.env });
      const load = await loadOn(served).start();
      try {
        upstream.inject({ hang: true, times: 1 });
        await until(() => upstream.issued.size >= 2, 45_000, "credentials after the hang");
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        await load.stop();
        await served.cli.stop();
        await setup.close();
      }
      assert.equal(upstream.requests.filter((r) => r.status === 0).length, 1, "one attempt met the hang");
      assert.deepEqual(violations(load.answers, issues, upstream.issued), [], "every client answered within its 1 s deadline with valid credentials");
      assert.ok(load.answers.every((a) => a.status === 200));
      assert.ok(load.answers.length > 100);
    });
  }
});
