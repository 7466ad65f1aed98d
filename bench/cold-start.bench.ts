/**
 * Cold start: a fresh process that imports certcreds and gets its first
 * credentials, against a minimal hand-written program doing the same
 * exchange, in fresh processes alternating round by round. Each program
 * times itself from its first line (bench/cold-start/*.mjs), so Node's own
 * start-up is left out and what remains is what a user's process spends:
 * loading the code, reading and checking the files, the first TLS
 * connection and the exchange. Reported as wall time and as CPU time (all
 * threads) with the code cache an earlier process left (as users run it),
 * and as wall time with the code cache off and for the first process after
 * an install: where the time goes is in docs/performance.md ("Cold start").
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

type Timing = { wall: number; cpu: number };

/** Runs one program in a fresh process (asynchronously: the emulators answer from this one). */
async function run(program: string, env: NodeJS.ProcessEnv): Promise<Timing> {
  const { stdout } = await exec(process.execPath, [join(PROGRAMS, program)], { env, cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  const [wall, cpu] = stdout.split(" ").map(Number) as [number, number];
  return { wall, cpu };
}

/**
 * The minimal program and the candidate three ways, in fresh processes, each round in a rotated order:
 * as users run it (the code cache of an earlier process in place), with the code cache off (as with
 * `CERTCREDS_CODE_CACHE=off`, a read-only home, and on Bun and Deno), and as the first process after an
 * install (an empty cache directory each round: it compiles from source, then writes the cache).
 */
async function rounds(name: string, minimal: string, candidate: string, env: NodeJS.ProcessEnv, cacheRoot: string): Promise<BenchRow[]> {
  const cached = { ...env, CERTCREDS_CODE_CACHE: join(cacheRoot, "kept") };
  let fresh = 0;
  const programs: [string, () => NodeJS.ProcessEnv, Timing[]][] = [
    [minimal, () => env, []],
    [candidate, () => cached, []],
    [candidate, () => ({ ...env, CERTCREDS_CODE_CACHE: "off" }), []],
    [candidate, () => ({ ...env, CERTCREDS_CODE_CACHE: join(cacheRoot, `first-${fresh++}`) }), []],
  ];
  await run(minimal, env);
  // The first run of the candidate writes the cache the `cached` rounds compile from.
  await run(candidate, cached);
  await run(candidate, cached);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < programs.length; i++) {
      const [program, programEnv, values] = programs[(round + i) % programs.length]!;
      values.push(await run(program, programEnv()));
    }
  }
  const [base, ours, off, first] = programs.map(([, , values]) => values) as [Timing[], Timing[], Timing[], Timing[]];
  const ratio = (values: Timing[], key: keyof Timing) => median(values.map((v, i) => v[key] / base[i]![key])).toFixed(2);
  const baseline = (key: keyof Timing) => ({ label: `minimal hand-written ${minimal}`, values: base.map((b) => b[key]) });
  const label = (how: string) => `import certcreds + first call (${candidate}${how})`;
  return [
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, fresh process, from its first line`,
      unit: "ms",
      baseline: baseline("wall"),
      candidate: { label: label(", code cache of an earlier process"), values: ours.map((o) => o.wall) },
      goal: "≤ 1.15",
      note: `wall ratio ${ratio(ours, "wall")}, CPU time ratio ${ratio(ours, "cpu")} (CPU medians ${median(ours.map((o) => o.cpu)).toFixed(1)} vs ${median(base.map((b) => b.cpu)).toFixed(1)} ms); files read from disk by both, a new TLS connection each`,
    },
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, CPU time (process.cpuUsage, all threads), from its first line`,
      unit: "ms CPU",
      baseline: baseline("cpu"),
      candidate: { label: label(", code cache of an earlier process"), values: ours.map((o) => o.cpu) },
      goal: "≤ 1.15",
    },
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, code cache off (CERTCREDS_CODE_CACHE=off, a read-only home; Bun and Deno)`,
      unit: "ms",
      baseline: baseline("wall"),
      candidate: { label: label(", CERTCREDS_CODE_CACHE=off"), values: off.map((o) => o.wall) },
      note: `wall ratio ${ratio(off, "wall")}, CPU time ratio ${ratio(off, "cpu")}: V8 parses and compiles certcreds' functions as the first fetch runs them`,
    },
    {
      issue: "#13",
      name: `cold start to first ${name} credentials, the first process after an install (empty cache directory)`,
      unit: "ms",
      baseline: baseline("wall"),
      candidate: { label: label(", empty cache directory"), values: first.map((o) => o.wall) },
      note: `wall ratio ${ratio(first, "wall")}: the whole library script is compiled at import; V8's code for it is written after the credentials are handed over, outside this time`,
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
      ...(await rounds("IAM Roles Anywhere", "ra-minimal.mjs", "ra-certcreds.mjs", raEnv, join(dir, "code-cache-ra"))),
      ...(await rounds("AWS IoT", "iot-minimal.mjs", "iot-certcreds.mjs", iotEnv, join(dir, "code-cache-iot"))),
    ];
    return { rows, facts: [] };
  } finally {
    await Promise.all([ra.close(), iot.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}
