/**
 * Figures: SigV4-X509 signing throughput vs bare crypto.sign, time to
 * first credentials vs a minimal https.request, and the import cost.
 */
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, sign, X509Certificate } from "node:crypto";
import { request } from "node:https";
import { fileURLToPath } from "node:url";
import { loadIdentity } from "../src/identity/load-identity.js";
import { runtimeName, runtimeSignsMlDsa } from "../src/identity/ml-dsa.js";
import { signRequest } from "../src/mechanisms/roles-anywhere/sigv4-x509.js";
import { RolesAnywhereSession } from "../src/surfaces/sdk/roles-anywhere.js";
import { createTestCertificateAuthority, startRolesAnywhereEmulator } from "../testing/index.js";
import type { BenchFact, BenchOutput, BenchRow } from "./harness.js";
import { median, opsPerSecond, timeMs } from "./harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = 9;

async function signing(keyType: "ec-p256" | "rsa-2048" | "ml-dsa-65"): Promise<BenchRow> {
  const ca = await createTestCertificateAuthority();
  const leaf = await ca.issue({ keyType });
  const identity = await loadIdentity({ certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem! }, new Date());
  const key = identity.privateKey!;
  const request = {
    method: "POST",
    path: "/sessions",
    query: {},
    headers: { "Content-Type": "application/json", Host: "rolesanywhere.us-east-1.amazonaws.com" },
    body: '{"durationSeconds":3600}',
  };
  const stringToSign = Buffer.from(`${identity.signer.algorithm}\n20261122T101500Z\n20261122/us-east-1/rolesanywhere/aws4_request\n${"0".repeat(64)}`);
  // Pure ML-DSA signs the string itself; RSA and ECDSA its SHA-256.
  const digest = keyType.startsWith("ml-dsa") ? null : "sha256";
  const baseline: number[] = [];
  const candidate: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    baseline.push(await opsPerSecond(() => sign(digest, stringToSign, key), 150));
    candidate.push(await opsPerSecond(() => signRequest(request, identity, "us-east-1", new Date()), 150));
  }
  return {
    issue: keyType.startsWith("ml-dsa") ? "#12" : "#2",
    name: `SigV4-X509 request signing, ${keyType}`,
    unit: "signatures/s",
    baseline: { label: "bare crypto.sign", values: baseline },
    candidate: { label: "certcreds signRequest", values: candidate },
    goal: "≥ 0.9",
    note: "candidate builds the canonical request, the string to sign, the signature and all headers; baseline signs a string of the same size",
  };
}

/** The least code that does one CreateSession by hand: the baseline for time to first credentials. */
function minimalCreateSession(url: URL, ca: string, certPem: string, keyPem: string, arns: Record<string, string>): Promise<number> {
  const key = createPrivateKey(keyPem);
  const cert = new X509Certificate(certPem);
  const body = JSON.stringify({ durationSeconds: 3600, ...arns });
  const date = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const x509 = cert.raw.toString("base64");
  const host = url.host;
  const hash = (s: string) => createHash("sha256").update(s).digest("hex");
  const canonical = `POST\n/sessions\n\ncontent-type:application/json\nhost:${host}\nx-amz-date:${date}\nx-amz-x509:${x509}\n\ncontent-type;host;x-amz-date;x-amz-x509\n${hash(body)}`;
  const scope = `${date.slice(0, 8)}/us-east-1/rolesanywhere/aws4_request`;
  const toSign = `AWS4-X509-ECDSA-SHA256\n${date}\n${scope}\n${hash(canonical)}`;
  const signature = sign("sha256", Buffer.from(toSign), key).toString("hex");
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: "/sessions",
        method: "POST",
        ca,
        agent: false,
        headers: {
          "Content-Type": "application/json",
          Host: host,
          "X-Amz-Date": date,
          "X-Amz-X509": x509,
          Authorization: `AWS4-X509-ECDSA-SHA256 Credential=${serial}/${scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=${signature}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          res.statusCode === 201 ? resolve(JSON.parse(Buffer.concat(chunks).toString()).credentialSet.length) : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function firstCredentials(): Promise<BenchRow> {
  const ca = await createTestCertificateAuthority();
  const device = await ca.issue({ keyType: "ec-p256" });
  const server = await ca.issue({ ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const emulator = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [ca.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/bench"] }],
    tls: { cert: server.certificatePem, key: server.privateKeyPem! },
  });
  const arns = { profileArn: emulator.profileArn, roleArn: emulator.roleArn, trustAnchorArn: emulator.trustAnchorArn };
  const url = new URL(emulator.url);
  const baseline: number[] = [];
  const candidate: number[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      await minimalCreateSession(url, ca.certificatePem, device.certificatePem, device.privateKeyPem!, arns);
    }
    for (let round = 0; round < 25; round++) {
      baseline.push(await timeMs(() => minimalCreateSession(url, ca.certificatePem, device.certificatePem, device.privateKeyPem!, arns)));
      candidate.push(
        await timeMs(async () => {
          const session = new RolesAnywhereSession({
            certificate: device.certificatePem,
            privateKey: device.privateKeyPem!,
            ...arns,
            endpoint: emulator.url,
            caBundle: ca.certificatePem,
          });
          await session.getCredentials();
          await session.close();
        }),
      );
    }
  } finally {
    await emulator.close();
  }
  return {
    issue: "#2",
    name: "time to first credentials (new session, new TLS connection, HTTPS emulator)",
    unit: "ms",
    baseline: { label: "minimal https.request CreateSession", values: baseline },
    candidate: { label: "RolesAnywhereSession.getCredentials", values: candidate },
    goal: "≤ 1.1",
    note: "certcreds also validates the certificate, key match, validity dates and the response; both parse the key from PEM each round",
  };
}

function spawnMs(args: string[]): number {
  const start = performance.now();
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: "ignore" });
  return performance.now() - start;
}

function importCost(): { row: BenchRow; fact: BenchFact } {
  const baseline: number[] = [];
  const candidate: number[] = [];
  spawnMs(["--input-type=module", "-e", 'import "certcreds"']);
  for (let round = 0; round < 21; round++) {
    baseline.push(spawnMs(["-e", "0"]));
    candidate.push(spawnMs(["--input-type=module", "-e", 'import "certcreds"']));
  }
  const extra = median(candidate.map((c, i) => c - baseline[i]!));
  return {
    row: {
      issue: "#2",
      name: "process that imports certcreds vs empty node -e",
      unit: "ms",
      baseline: { label: "node -e 0", values: baseline },
      candidate: { label: "node -e 'import \"certcreds\"'", values: candidate },
    },
    fact: {
      issue: "#2",
      name: "import cost of certcreds over an empty node -e (median of 21 paired runs)",
      value: `${extra.toFixed(1)} ms`,
      goal: "≤ 15 ms",
      met: extra <= 15,
    },
  };
}

export default async function (): Promise<BenchOutput> {
  const rows = [await signing("ec-p256"), await signing("rsa-2048")];
  const facts: BenchFact[] = [];
  if (runtimeSignsMlDsa()) rows.push(await signing("ml-dsa-65"));
  else
    facts.push({
      issue: "#12",
      name: "SigV4-X509 request signing, ml-dsa-65",
      value: `skipped: ML-DSA needs Node.js 24.6 or later (this is ${runtimeName()})`,
    });
  rows.push(await firstCredentials());
  const imports = importCost();
  return { rows: [...rows, imports.row], facts: [imports.fact, ...facts] };
}
