/**
 * serve's server in this process over a real RolesAnywhereSession against the
 * Roles Anywhere emulator, with its metrics: what the /metrics and /healthz
 * tests need to force refreshes and inject faults between two scrapes.
 */
import { createPublicKey } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RolesAnywhereSession, type RolesAnywhereSessionInit } from "../../../src/index.js";
import { createCredentialServer } from "../../../src/surfaces/local-endpoint/credential-server.js";
import { ServeMetrics } from "../../../src/surfaces/local-endpoint/metrics.js";
import type { IssueOptions, TestCertificate, TestCertificateAuthority } from "../../../testing/index.js";
import { type HttpAnswer, http, type RolesAnywhereFixture } from "../../helpers/cli.js";

export const CONTAINER_TOKEN = "metrics-test-container-token-0123456789abcdef";
export const DAY = 86_400_000;

export interface MetricsWorld {
  session: RolesAnywhereSession;
  metrics: ServeMetrics;
  server: Server;
  base: string;
  port: number;
  get(path: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** GET /metrics, checked to be 200 in the text format. */
  scrape(): Promise<string>;
  /** Container credentials, with the right token. */
  credentials(): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/** Starts the server over a new session on the fixture's files (read again at each refresh). */
export async function startMetricsWorld(f: RolesAnywhereFixture, extra: Partial<RolesAnywhereSessionInit> = {}): Promise<MetricsWorld> {
  const metrics = new ServeMetrics({ version: "0.0.0-test" });
  const session = new RolesAnywhereSession({
    ...f.init,
    retry: { maxAttempts: 1 },
    logLevel: "none",
    observer: metrics.observer,
    ...extra,
  });
  const server = createCredentialServer({ supplier: session, roleName: "cli-role", authorizationToken: CONTAINER_TOKEN, metrics });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const get = (path: string, headers: Record<string, string> = {}) => http(`${base}${path}`, { headers });
  return {
    session,
    metrics,
    server,
    base,
    port,
    get,
    async scrape() {
      const answer = await get("/metrics");
      if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
      if (answer.headers["content-type"] !== "text/plain; version=0.0.4; charset=utf-8") throw new Error(`Content-Type ${answer.headers["content-type"]}`);
      return answer.body;
    },
    credentials: () => get("/credentials", { Authorization: CONTAINER_TOKEN }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await session.close();
    },
  };
}

/** The value of the sample whose name and labels are exactly `series` (as written in the exposition), undefined when absent. */
export function sampleValue(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Puts a new certificate for the fixture's key on disk (and, with `issuer`,
 * that issuer as the chain): what an operator's renewal does.
 */
export async function installCertificate(
  f: RolesAnywhereFixture,
  options: IssueOptions,
  issuer: TestCertificateAuthority = f.issuing,
): Promise<TestCertificate> {
  const renewed = await issuer.issue({ commonName: "cli-device", ...options, publicKey: createPublicKey(f.device.privateKey!) });
  await writeFile(f.certFile, renewed.certificatePem);
  await writeFile(f.chainFile, issuer.certificatePem);
  return renewed;
}
