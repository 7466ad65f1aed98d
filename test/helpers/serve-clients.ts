/**
 * Client load on a running `certcreds serve`, and the oracle that says
 * whether valid credentials existed when an answer was a failure.
 *
 * Clients are keep-alive HTTP clients of the two consumer protocols —
 * the container credentials endpoint and IMDSv2 — looping until stopped and
 * recording every answer, so that a test can judge each one afterwards.
 */
import { execFileSync } from "node:child_process";
import { Agent, request } from "node:http";
import { readFile } from "node:fs/promises";
import type { IssueCredentialsRequest, IssuedCredentials, IssuedCredentialStore } from "../../testing/index.js";
import type { Served } from "./cli.js";

/** One answer (or failure to answer) a client saw. */
export interface ClientAnswer {
  client: number;
  endpoint: "container" | "imds";
  /** Epoch ms when the request was sent and when the answer (or error) came. */
  start: number;
  end: number;
  /** HTTP status, or 0 when the request failed without an answer. */
  status: number;
  accessKeyId?: string;
  /** Epoch ms of the served credentials' Expiration. */
  expiration?: number;
  /** The JSON error's Code and Message on a non-200 answer, or the socket error. */
  code?: string;
  message?: string;
}

interface Exchange {
  status: number;
  body: string;
}

function exchange(agent: Agent, url: string, method: string, headers: Record<string, string>, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export interface LoadOptions {
  /** Clients of the container endpoint (default 2). */
  containerClients?: number;
  /** Clients of IMDSv2 (default 2). */
  imdsClients?: number;
  /** Pause between two requests of one client, ms (default 10). */
  pauseMs?: number;
  /** Per-request deadline, ms (default 5000): a client that waits longer counts it as a failure. */
  timeoutMs?: number;
}

/** Keep-alive clients looping on both endpoints of one `serve` until {@link ServeLoad.stop}. */
export class ServeLoad {
  readonly answers: ClientAnswer[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly agents: Agent[] = [];

  constructor(
    private readonly served: Served,
    private readonly options: LoadOptions = {},
  ) {}

  async start(): Promise<this> {
    const token = await readFile(this.served.tokenFile, "utf8");
    const containers = this.options.containerClients ?? 2;
    const imds = this.options.imdsClients ?? 2;
    for (let i = 0; i < containers + imds; i++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.push(agent);
      this.loops.push(i < containers ? this.containerLoop(i, agent, token) : this.imdsLoop(i, agent));
    }
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 5000;
  }

  private async pause(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 10));
  }

  private record(client: number, endpoint: ClientAnswer["endpoint"], start: number, outcome: Exchange | Error): void {
    const answer: ClientAnswer = { client, endpoint, start, end: Date.now(), status: outcome instanceof Error ? 0 : outcome.status };
    if (outcome instanceof Error) {
      answer.message = outcome.message;
    } else {
      try {
        const json = JSON.parse(outcome.body) as Record<string, string>;
        if (outcome.status === 200) {
          answer.accessKeyId = json.AccessKeyId;
          answer.expiration = Date.parse(json.Expiration ?? "");
        } else {
          answer.code = json.Code;
          answer.message = json.Message;
        }
      } catch {
        answer.message = `not JSON: ${outcome.body.slice(0, 80)}`;
      }
    }
    this.answers.push(answer);
  }

  private async containerLoop(client: number, agent: Agent, token: string): Promise<void> {
    while (this.running) {
      const start = Date.now();
      const outcome = await exchange(agent, this.served.containerUri, "GET", { Authorization: token }, this.timeoutMs).catch((error: Error) => error);
      this.record(client, "container", start, outcome);
      await this.pause();
    }
  }

  private async imdsLoop(client: number, agent: Agent): Promise<void> {
    const base = `${this.served.imdsEndpoint}/latest`;
    let token: string | undefined;
    let role: string | undefined;
    while (this.running) {
      const start = Date.now();
      try {
        token ??= (await exchange(agent, `${base}/api/token`, "PUT", { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }, this.timeoutMs)).body;
        role ??= (await exchange(agent, `${base}/meta-data/iam/security-credentials/`, "GET", { "x-aws-ec2-metadata-token": token }, this.timeoutMs)).body;
        const outcome = await exchange(
          agent,
          `${base}/meta-data/iam/security-credentials/${role}`,
          "GET",
          { "x-aws-ec2-metadata-token": token },
          this.timeoutMs,
        );
        if (outcome.status === 401) token = undefined;
        this.record(client, "imds", start, outcome);
      } catch (error) {
        this.record(client, "imds", start, error as Error);
      }
      await this.pause();
    }
  }
}

/**
 * When each credential was issued, by wrapping the emulators' store: what
 * the emulator issued is what `serve` received (no fault issues credentials
 * and then withholds them).
 */
export class IssueLog {
  readonly issuedAt = new Map<string, number>();

  constructor(private readonly store: IssuedCredentialStore) {
    const issue = store.issue.bind(store);
    store.issue = (request: IssueCredentialsRequest): IssuedCredentials => {
      const credentials = issue(request);
      this.issuedAt.set(credentials.accessKeyId, Date.now());
      return credentials;
    };
  }

  /**
   * Whether `serve` held valid credentials through [start, end]: some were
   * issued before `start - slackMs` (time to reach `serve`) and expire after `end`.
   */
  validThroughout(start: number, end: number, slackMs = 100): boolean {
    for (const [accessKeyId, at] of this.issuedAt) {
      if (at < start - slackMs && (this.store.get(accessKeyId)?.expiration.getTime() ?? 0) > end) return true;
    }
    return false;
  }

  /** Whether any credentials issued so far were still unexpired at `time`. */
  anyValidAt(time: number): boolean {
    for (const [accessKeyId, at] of this.issuedAt) {
      if (at <= time && (this.store.get(accessKeyId)?.expiration.getTime() ?? 0) > time) return true;
    }
    return false;
  }
}

/** A small seeded PRNG (mulberry32): the same fault schedule on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resident set size of a process in bytes: /proc on Linux, else `ps -o rss=`. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kb =
    status === undefined ? execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim() : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (!kb || !/^\d+$/.test(kb)) throw new Error(`no RSS for process ${pid}`);
  return Number(kb) * 1024;
}
