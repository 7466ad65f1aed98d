/**
 * About 10,000 hostile local connections — idle, half-open (a request that
 * never finishes) and kept alive, each reopened at once when closed — held
 * against the real `certcreds serve` while a legitimate client probes
 * /healthz, the container endpoint and IMDSv2, each on a fresh connection
 * with the SDKs' 1-second timeout. At least 99 % of the legitimate requests
 * must succeed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { createRolesAnywhereFixture, requireBuild, startServe } from "../../helpers/cli.js";

/** About ten thousand: more than a fixed table of 10,000 connections holds, so that refusing newcomers when full would starve clients. */
const HOSTILE_CONNECTIONS = 12_000;
const PROBE_MS = 15_000;
/** The AWS SDKs' and CLI's timeout on the local credential endpoints. */
const CLIENT_TIMEOUT_MS = 1_000;

/** The soft limit on open files of this process (the children inherit it), from /proc on Linux. */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    return line === undefined || line === "unlimited" ? Number.POSITIVE_INFINITY : Number(line);
  } catch {
    return 1024;
  }
}

interface Answer {
  /** 0 when the request failed or took longer than the timeout; the body then says why. */
  status: number;
  body: string;
}

/** One request on a fresh connection, given up after the SDKs' timeout. */
function probe(url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (error) => resolve({ status: 0, body: error.message }));
    });
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "timeout" })), CLIENT_TIMEOUT_MS);
    req.on("close", () => clearTimeout(deadline));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ status: 0, body: error.code ?? error.message }));
    req.end();
  });
}

interface FlooderStats {
  launched: number;
  open: number;
  maxOpen: number;
  opened: number;
  closedByServer: number;
  neverConnected: number;
  done?: boolean;
}

function startFlooder(
  port: number,
  connections: number,
  durationMs: number,
): { child: ChildProcess; latest: () => FlooderStats | undefined; exited: Promise<void> } {
  const child = spawn(process.execPath, [join(import.meta.dirname, "connection-flooder.mjs"), String(port), String(connections), String(durationMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let latest: FlooderStats | undefined;
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) if (line) latest = JSON.parse(line) as FlooderStats;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, latest: () => latest, exited };
}

test(`serve under ${HOSTILE_CONNECTIONS} hostile local connections: at least 99 % of legitimate requests succeed`, { timeout: 90_000 }, async () => {
  await requireBuild();
  // serve, this process and the flooder each need a descriptor per connection; Node raises its soft limit to the hard one.
  const limit = openFileLimit();
  const connections = Math.min(HOSTILE_CONNECTIONS, limit - 500);
  if (connections < HOSTILE_CONNECTIONS) console.log(`open-file limit ${limit}: ${connections} hostile connections instead of ${HOSTILE_CONNECTIONS}`);
  const f = await createRolesAnywhereFixture();
  const served = await startServe(f.args, { env: f.env });
  const flooder = startFlooder(Number(new URL(served.imdsEndpoint).port), connections, PROBE_MS + 15_000);
  try {
    const token = readFileSync(served.tokenFile, "utf8");
    const role = f.ra.roleArn.split("/").at(-1)!;
    // Probe once every hostile connection has been opened once (or after 10 s).
    const rampStart = Date.now();
    while ((flooder.latest()?.launched ?? 0) < connections && Date.now() - rampStart < 10_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
    const atStart = flooder.latest();

    const outcomes = { ok: 0, failed: 0 };
    /** Failures by request and reason (status, error code, timeout). */
    const failures = new Map<string, number>();
    const count = (what: string, answer: Answer) => {
      if (answer.status === 200) outcomes.ok++;
      else {
        outcomes.failed++;
        const key = `${what}: ${answer.status || answer.body}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    };
    const until = Date.now() + PROBE_MS;
    while (Date.now() < until) {
      count("healthz", await probe(`${served.imdsEndpoint}/healthz`, "GET", {}));
      count("container", await probe(served.containerUri, "GET", { Authorization: token }));
      const put = await probe(`${served.imdsEndpoint}/latest/api/token`, "PUT", { "x-aws-ec2-metadata-token-ttl-seconds": "60" });
      count("imds token", put);
      if (put.status === 200)
        count(
          "imds credentials",
          await probe(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${role}`, "GET", { "x-aws-ec2-metadata-token": put.body }),
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    const stats = flooder.latest();
    const total = outcomes.ok + outcomes.failed;
    const rate = outcomes.ok / total;
    console.log(
      `legitimate requests: ${outcomes.ok}/${total} succeeded (${(rate * 100).toFixed(1)} %); failures ${JSON.stringify(Object.fromEntries(failures))}; ` +
        `hostile connections open when probing began ${atStart?.open}, at most ${stats?.maxOpen}, opened ${stats?.opened} in all, closed by serve ${stats?.closedByServer}`,
    );
    assert.ok(total >= 100, `only ${total} probes`);
    assert.ok(rate >= 0.99, `only ${(rate * 100).toFixed(1)} % of legitimate requests succeeded`);
    // The flood was real: (nearly) all of it held when probing began, each connection reopened whenever serve closed it.
    assert.ok((atStart?.open ?? 0) >= connections * 0.8, `only ${atStart?.open} hostile connections were open`);
    assert.equal(served.cli.child.exitCode, null, "serve is still running");
  } finally {
    flooder.child.kill("SIGKILL");
    await flooder.exited;
    await served.cli.stop();
    await f.close();
  }
});
