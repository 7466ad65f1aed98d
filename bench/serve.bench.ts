/**
 * `certcreds serve` under load. Container endpoint throughput and
 * p99 latency at 64 concurrent keep-alive clients against a bare Node HTTP
 * server answering a fixed JSON of the same size (both in their own
 * process), and the upstream calls made when 1,000 clients arrive while the
 * credentials need refreshing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { createRolesAnywhereFixture, http, startServe } from "../test/helpers/cli.js";
import type { BenchFact, BenchOutput, BenchRow } from "./harness.js";

const CLIENTS = 64;
const ROUND_MS = 3000;
const ROUNDS = 3;

interface Load {
  requestsPerSecond: number;
  p99Ms: number;
}

/** 64 clients on keep-alive connections, each sending its next request as soon as the last is answered, for `ms`. */
async function load(url: string, headers: Record<string, string>, ms: number): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on("error", reject);
      req.end();
    });
  const worker = async () => {
    while (performance.now() < deadline) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requestsPerSecond: (latencies.length * 1000) / elapsed, p99Ms: latencies[Math.floor(latencies.length * 0.99)]! };
}

/** A bare node:http server in its own process answering `body` to every request. */
async function startBareServer(dir: string, body: string): Promise<{ url: string; child: ChildProcess }> {
  const script = join(dir, "bare-server.mjs");
  await writeFile(
    script,
    `import { createServer } from "node:http";
const body = ${JSON.stringify(body)};
const server = createServer((req, res) => { res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }); res.end(body); });
server.listen(0, "127.0.0.1", () => process.stdout.write("port " + server.address().port + "\\n"));
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { url: `http://127.0.0.1:${port}/credentials`, child };
}

async function throughput(): Promise<BenchRow[]> {
  const f = await createRolesAnywhereFixture();
  const served = await startServe(f.args, { env: f.env });
  try {
    const token = await readFile(served.tokenFile, "utf8");
    const sample = (await http(served.containerUri, { headers: { Authorization: token } })).body;
    const bare = await startBareServer(f.dir, sample.replace(/[A-Za-z0-9]/g, "x"));
    try {
      const candidate: Load[] = [];
      const baseline: Load[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baseline.push(await load(bare.url, { Authorization: token }, ROUND_MS));
        candidate.push(await load(served.containerUri, { Authorization: token }, ROUND_MS));
      }
      return [
        {
          issue: "#4",
          name: `serve: container endpoint throughput, ${CLIENTS} keep-alive clients`,
          unit: "requests/s",
          baseline: { label: "bare node:http, fixed JSON of the same size", values: baseline.map((l) => l.requestsPerSecond) },
          candidate: { label: "certcreds serve /credentials", values: candidate.map((l) => l.requestsPerSecond) },
          note: `load generator in the bench process, each server in its own process, ${ROUND_MS / 1000} s per round; serve checks the token in constant time, the Host header, and reads the cache`,
        },
        {
          issue: "#4",
          name: `serve: container endpoint p99 latency, ${CLIENTS} keep-alive clients`,
          unit: "ms",
          baseline: { label: "bare node:http", values: baseline.map((l) => l.p99Ms) },
          candidate: { label: "certcreds serve /credentials", values: candidate.map((l) => l.p99Ms) },
        },
      ];
    } finally {
      bare.child.kill();
    }
  } finally {
    await served.cli.stop();
    await f.close();
  }
}

/** 1,000 clients arrive when the cached credentials are inside their mandatory refresh window and the refresh is in flight. */
async function thunderingHerd(): Promise<BenchFact[]> {
  const f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 6 } });
  const served = await startServe(f.args, { env: f.env });
  try {
    const token = await readFile(served.tokenFile, "utf8");
    const first = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body);
    const expiresAt = Date.parse(first.Expiration);
    const arrived = f.ra.requests.length;
    f.ra.inject({ delayMs: 2500 });
    // The background refresh starts between half the lifetime and the mandatory window; it is slow upstream.
    while (f.ra.requests.length === arrived) await new Promise((resolve) => setTimeout(resolve, 5));
    const due = expiresAt - 1500 - Date.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    const started = performance.now();
    const answers = await Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<{ status: number; expiration: number; at: number }>((resolve, reject) => {
            const req = request(served.containerUri, { agent, headers: { Authorization: token } }, (res) => {
              let body = "";
              res.on("data", (chunk: Buffer) => {
                body += chunk;
              });
              res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, expiration: res.statusCode === 200 ? Date.parse(JSON.parse(body).Expiration) : 0, at: Date.now() }),
              );
            });
            req.on("error", reject);
            req.end();
          }),
      ),
    );
    const elapsed = performance.now() - started;
    agent.destroy();
    const upstream = f.ra.requests.length - arrived;
    const ok = answers.filter((a) => a.status === 200).length;
    // Valid when answered: each expiration is compared with the moment its answer arrived.
    const valid = answers.every((a) => a.status !== 200 || a.expiration > a.at);
    return [
      {
        issue: "#4",
        name: "serve: upstream calls when 1,000 clients arrive while credentials need refresh",
        value: String(upstream),
        goal: "1",
        met: upstream === 1,
      },
      {
        issue: "#4",
        name: "serve: those 1,000 clients answered 200 with valid credentials",
        value: `${ok}/1000 in ${elapsed.toFixed(0)} ms (upstream answered after 2.5 s)`,
        goal: "1000/1000",
        met: ok === 1000 && valid,
      },
    ];
  } finally {
    await served.cli.stop();
    await f.close();
  }
}

export default async function bench(): Promise<BenchOutput> {
  const rows = await throughput();
  const facts = await thunderingHerd();
  return { rows, facts };
}
