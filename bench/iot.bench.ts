/**
 * Figures: time to first IoT credentials vs a minimal https.request
 * doing the same mutual-TLS GET, and how many TLS handshakes refreshes cost
 * with the keep-alive agent.
 */
import { request } from "node:https";
import { loadIdentity } from "../src/identity/load-identity.js";
import { IotCredentialSession } from "../src/surfaces/sdk/iot.js";
import { createTestCertificateAuthority, type IotCredentialEmulator, startIotCredentialEmulator, type TestKeyType } from "../testing/index.js";
import type { BenchFact, BenchOutput, BenchRow } from "./harness.js";
import { timeMs } from "./harness.js";

const ROUNDS = 21;
const WARMUP = 3;
const ALIAS = "bench-role-alias";
const THING = "bench-thing";

interface Setup {
  iot: IotCredentialEmulator;
  ca: string;
  cert: string;
  key: string;
}

async function setup(keyType: TestKeyType): Promise<Setup> {
  const endpointCa = await createTestCertificateAuthority({ commonName: "bench IoT endpoint CA" });
  const server = await endpointCa.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const thingCa = await createTestCertificateAuthority({ commonName: "bench thing CA" });
  const thing = await thingCa.issue({ commonName: THING, keyType, extendedKeyUsage: ["clientAuth"] });
  const iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.certificatePem, key: server.privateKeyPem! },
    registeredCas: [thingCa.certificatePem],
    things: [{ name: THING, certificates: [thing.certificatePem] }],
    roleAliases: [{ alias: ALIAS, roleArn: "arn:aws:iam::123456789012:role/bench-role" }],
  });
  return { iot, ca: endpointCa.certificatePem, cert: thing.certificatePem, key: thing.privateKeyPem! };
}

/** The least code that gets IoT credentials: one https.request with the same mTLS options, a fresh connection, JSON.parse. */
function minimalGet(s: Setup): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: s.iot.host,
        port: s.iot.port,
        path: `/role-aliases/${ALIAS}/credentials`,
        method: "GET",
        headers: { "x-amzn-iot-thingname": THING },
        ca: s.ca,
        cert: s.cert,
        key: s.key,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          resolve((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { credentials: { accessKeyId: string } }).credentials.accessKeyId);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** New session, first credentials (a new keep-alive agent, so a fresh connection), closed. */
async function firstCredentials(s: Setup): Promise<string> {
  const session = new IotCredentialSession({ endpoint: s.iot.url, roleAlias: ALIAS, thingName: THING, certificate: s.cert, privateKey: s.key, ca: s.ca });
  try {
    return (await session.getCredentials()).accessKeyId;
  } finally {
    await session.close();
  }
}

/** The baseline plus the foundation's identity checks, to show what the IoT layer itself adds. */
async function identityThenMinimalGet(s: Setup): Promise<string> {
  await loadIdentity({ certificate: s.cert, privateKey: s.key }, new Date());
  return minimalGet(s);
}

async function timeToFirstCredentials(keyType: TestKeyType, label: string, withIdentity = false): Promise<BenchRow> {
  const s = await setup(keyType);
  const base = withIdentity ? identityThenMinimalGet : minimalGet;
  try {
    for (let i = 0; i < WARMUP; i++) {
      await base(s);
      await firstCredentials(s);
    }
    const handshakesBefore = s.iot.handshakes.total;
    const baseline: number[] = [];
    const candidate: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer machine.
      if (round % 2 === 0) {
        baseline.push(await timeMs(() => base(s)));
        candidate.push(await timeMs(() => firstCredentials(s)));
      } else {
        candidate.push(await timeMs(() => firstCredentials(s)));
        baseline.push(await timeMs(() => base(s)));
      }
    }
    if (s.iot.handshakes.total - handshakesBefore !== 2 * ROUNDS) throw new Error("every round must open a fresh TLS connection on both sides");
    if (withIdentity) {
      return {
        issue: "#3",
        name: `IoT layer's own cost: time to first IoT credentials vs loadIdentity + minimal https.request, ${label} thing certificate`,
        unit: "ms",
        baseline: { label: "foundation loadIdentity + minimal https.request", values: baseline },
        candidate: { label: "new IotCredentialSession().getCredentials()", values: candidate },
        goal: "≤ 1.1",
        note: "diagnostic: the baseline also pays for the identity checks every mechanism makes (loadIdentity), so the ratio is what the IoT code adds on top",
      };
    }
    return {
      issue: "#3",
      name: `time to first IoT credentials, ${label} thing certificate`,
      unit: "ms",
      baseline: { label: "minimal https.request (same mTLS options)", values: baseline },
      candidate: { label: "new IotCredentialSession().getCredentials()", values: candidate },
      goal: "≤ 1.1",
      note: "fresh TLS connection on both sides every round (checked with the emulator's handshake counter); the candidate also loads and checks the identity with the foundation's loadIdentity (key parse, key/certificate match, validity, chain), validates the answer and closes its agent",
    };
  } finally {
    await s.iot.close();
  }
}

async function refreshHandshakes(): Promise<BenchFact[]> {
  const s = await setup("rsa-2048");
  const session = new IotCredentialSession({
    endpoint: `localhost:${s.iot.port}`,
    roleAlias: ALIAS,
    thingName: THING,
    certificate: s.cert,
    privateKey: s.key,
    ca: s.ca,
  });
  try {
    await session.getCredentials();
    const kept = { ...s.iot.handshakes };
    for (let i = 0; i < 10; i++) await session.getCredentials({ forceRefresh: true });
    const keptAlive = { total: s.iot.handshakes.total - kept.total, resumed: s.iot.handshakes.resumed - kept.resumed };

    const dropped = { ...s.iot.handshakes };
    for (let i = 0; i < 10; i++) {
      // What happens between two real refreshes, tens of minutes apart: the server closed the idle connection.
      s.iot.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await session.getCredentials({ forceRefresh: true });
    }
    const reconnected = { total: s.iot.handshakes.total - dropped.total, resumed: s.iot.handshakes.resumed - dropped.resumed };
    return [
      {
        issue: "#3",
        name: "TLS handshakes for 10 forced refreshes, connection kept alive (emulator's count)",
        value: `${keptAlive.total} (${keptAlive.resumed} resumed): all 10 refreshes reused the first connection`,
        goal: "refreshes reuse the connection or the TLS session",
        met: keptAlive.total === 0,
      },
      {
        issue: "#3",
        name: "TLS handshakes for 10 forced refreshes, server closing idle connections in between",
        value: `${reconnected.total} (${reconnected.resumed} resumed sessions, ${reconnected.total - reconnected.resumed} full)`,
        goal: "refreshes reuse the connection or the TLS session",
        met: reconnected.resumed === reconnected.total,
      },
    ];
  } finally {
    await session.close();
    await s.iot.close();
  }
}

export default async function iotBench(): Promise<BenchOutput> {
  const rows = [
    await timeToFirstCredentials("rsa-2048", "RSA 2048 (what AWS IoT CreateKeysAndCertificate issues)"),
    await timeToFirstCredentials("ec-p256", "EC P-256"),
    await timeToFirstCredentials("ec-p256", "EC P-256", true),
  ];
  return { rows, facts: await refreshHandshakes() };
}
