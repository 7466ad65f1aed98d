/**
 * Cold start: a fresh process that imports certcreds and gets its first
 * credentials, against a minimal hand-written program doing the same
 * exchange, in fresh processes alternating round by round. Each program
 * times itself from its first line (bench/cold-start/*.mjs), so Node's own
 * start-up is left out and what remains is what a user's process spends:
 * loading the code, reading and checking the files, the first TLS
 * connection and the exchange. Reported twice, as wall time and as CPU time
 * (all threads): where the time goes is in docs/performance.md ("Cold start").
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTestCertificateAuthority, startIotCredentialEmulator, startRolesAnywhereEmulator } from "../testing/index.js";
import type { BenchOutput, BenchRow } from "./harness.js";
import { median } from "./harness.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROGRAMS = join(ROOT, "bench", "cold-start");
// Fresh processes on a shared machine spread by ±30 %: 31 pairs keep the median ratio within a few hundredths run to run.
const ROUNDS = 31;

/** Runs one program in a fresh process (asynchronously: the emulators answer from this one). */
async function run(program: string, env: NodeJS.ProcessEnv): Promise<{ wall: number; cpu: number }> {
  const { stdout } = await exec(process.execPath, [join(PROGRAMS, program)], { env, cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  const [wall, cpu] = stdout.split(" ").map(Number) as [number, number];
  return { wall, cpu };
}

/** Two rows per mechanism, both paired round by round: wall time and CPU time (all threads), each from the program's first line. */
async function pairs(name: string, minimal: string, candidate: string, env: NodeJS.ProcessEnv): Promise<BenchRow[]> {
  const base: { wall: number; cpu: number }[] = [];
  const ours: { wall: number; cpu: number }[] = [];
  await run(minimal, env);
  await run(candidate, env);
  for (let round = 0; round < ROUNDS; round++) {
    const order: [string, typeof base][] = [
      [minimal, base],
      [candidate, ours],
    ];
    if (round % 2) order.reverse();
    for (const [program, values] of order) values.push(await run(program, env));
  }
  const wallRatio = median(ours.map((o, i) => o.wall / base[i]!.wall));
  const cpuRatio = median(ours.map((o, i) => o.cpu / base[i]!.cpu));
  const note = `wall ratio ${wallRatio.toFixed(2)}, CPU time ratio ${cpuRatio.toFixed(2)} (CPU medians ${median(ours.map((o) => o.cpu)).toFixed(1)} vs ${median(base.map((b) => b.cpu)).toFixed(1)} ms); files read from disk by both, a new TLS connection each`;
  return [
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, fresh process, from its first line`,
      unit: "ms",
      baseline: { label: `minimal hand-written ${minimal}`, values: base.map((b) => b.wall) },
      candidate: { label: `import certcreds + first call (${candidate})`, values: ours.map((o) => o.wall) },
      goal: "≤ 1.15",
      note,
    },
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, CPU time (process.cpuUsage, all threads), from its first line`,
      unit: "ms CPU",
      baseline: { label: `minimal hand-written ${minimal}`, values: base.map((b) => b.cpu) },
      candidate: { label: `import certcreds + first call (${candidate})`, values: ours.map((o) => o.cpu) },
      goal: "≤ 1.15",
    },
  ];
}

export default async function bench(): Promise<BenchOutput> {
  const dir = await mkdtemp(join(tmpdir(), "certcreds-cold-"));
  const ca = await createTestCertificateAuthority({ commonName: "cold start CA" });
  const server = await ca.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const device = await ca.issue({ commonName: "cold-device", keyType: "ec-p256" });
  const thing = await ca.issue({ commonName: "cold-thing", keyType: "ec-p256", extendedKeyUsage: ["clientAuth"] });
  const files = {
    ca: join(dir, "ca.pem"),
    cert: join(dir, "device.pem"),
    key: join(dir, "device.key"),
    thingCert: join(dir, "thing.pem"),
    thingKey: join(dir, "thing.key"),
  };
  await writeFile(files.ca, ca.certificatePem);
  await writeFile(files.cert, device.certificatePem);
  await writeFile(files.key, device.privateKeyPem!, { mode: 0o600 });
  await writeFile(files.thingCert, thing.certificatePem);
  await writeFile(files.thingKey, thing.privateKeyPem!, { mode: 0o600 });
  const ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [ca.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/cold"] }],
    tls: { cert: server.certificatePem, key: server.privateKeyPem! },
  });
  const iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.certificatePem, key: server.privateKeyPem! },
    registeredCas: [ca.certificatePem],
    things: [{ name: "cold-thing", certificates: [thing.certificatePem] }],
    roleAliases: [{ alias: "cold-alias", roleArn: "arn:aws:iam::123456789012:role/cold-iot" }],
  });
  try {
    const common = { PATH: process.env.PATH, BENCH_CA: files.ca };
    const raEnv = {
      ...common,
      BENCH_CERT: files.cert,
      BENCH_KEY: files.key,
      BENCH_ENDPOINT: ra.url,
      BENCH_TRUST_ANCHOR_ARN: ra.trustAnchorArn,
      BENCH_PROFILE_ARN: ra.profileArn,
      BENCH_ROLE_ARN: ra.roleArn,
    };
    const iotEnv = {
      ...common,
      BENCH_CERT: files.thingCert,
      BENCH_KEY: files.thingKey,
      BENCH_ENDPOINT: `localhost:${iot.port}`,
      BENCH_ROLE_ALIAS: "cold-alias",
      BENCH_THING_NAME: "cold-thing",
    };
    const rows = [
      ...(await pairs("IAM Roles Anywhere", "ra-minimal.mjs", "ra-certcreds.mjs", raEnv)),
      ...(await pairs("AWS IoT", "iot-minimal.mjs", "iot-certcreds.mjs", iotEnv)),
    ];
    return { rows, facts: [] };
  } finally {
    await Promise.all([ra.close(), iot.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}
