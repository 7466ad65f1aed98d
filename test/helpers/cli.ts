/**
 * Runs the real `certcreds` program (`node bin/certcreds.js`, the esbuild
 * bundle) as a child process, against emulators on 127.0.0.1, in a
 * throwaway HOME so that no test sees the user's config, cache or ~/.aws.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { request } from "node:http";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type RolesAnywhereEmulator,
  type RolesAnywhereEmulatorOptions,
  type StsEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
  type TestKeyType,
} from "../../testing/index.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");
const YEAR_MS = 365 * 86_400_000;
/** The program as installed: bin/certcreds.cjs when the package ships the CommonJS launcher there, else bin/certcreds.js. */
export const BIN = existsSync(join(ROOT, "bin", "certcreds.cjs")) ? join(ROOT, "bin", "certcreds.cjs") : join(ROOT, "bin", "certcreds.js");
const BUNDLE = join(ROOT, "dist", "cli", "certcreds.mjs");

/** Fails early with the fix when the bundle is missing or older than the CLI sources. */
export async function requireBuild(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" before this test (npm test does).`);
  const built = statSync(BUNDLE).mtimeMs;
  for (const name of await readdir(join(ROOT, "src", "cli"), { recursive: true })) {
    if (statSync(join(ROOT, "src", "cli", name)).mtimeMs > built + 1000) {
      throw new Error(`src/cli/${name} is newer than ${BUNDLE}: run "npm run build" before this test.`);
    }
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Raw standard output (for binary answers). */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
  cwd?: string;
}

function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`certcreds did not finish within ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, signal, stdout: stdoutBytes.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), stdoutBytes });
    });
  });
}

/** Runs `node bin/certcreds.js ...args` to completion. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env), cwd: options.cwd ?? ROOT, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin!.end(options.input ?? "");
  return collect(child, options.timeoutMs ?? 30_000);
}

/** Runs any program (the AWS CLI, python, node) to completion with exactly `env`. */
export function runProgram(program: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  const child = spawn(program, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, timeoutMs);
}

/** A long-running certcreds (serve, update). */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first standard-output line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when standard error matches `pattern`. */
  waitForError(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  exited: Promise<CliResult>;
}

export function startCli(args: string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env), cwd: options.cwd ?? ROOT, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin!.end(options.input ?? "");
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = collect(child, options.timeoutMs ?? 120_000);
  exited.catch(() => {});
  const waitFor = (read: () => string, pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolvePromise, reject) => {
      const started = Date.now();
      const poll = () => {
        const match = read().match(pattern);
        if (match) return resolvePromise(match);
        if (child.exitCode !== null) return reject(new Error(`certcreds exited (${child.exitCode}) before printing ${pattern}; stderr: ${err}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`));
        setTimeout(poll, 20);
      };
      poll();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (pattern, timeoutMs = 15_000) => waitFor(() => out, pattern, timeoutMs),
    waitForError: (pattern, timeoutMs = 15_000) => waitFor(() => err, pattern, timeoutMs),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** The child's environment: only PATH and what the test sets, so the user's AWS_*, proxies and HOME never leak in. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" };
  // The suite's code cache directory (scripts/run-tests.mjs), so that no CLI run of the tests writes Node's
  // compile cache into the real home directory.
  if (process.env.CERTCREDS_CODE_CACHE) env.CERTCREDS_CODE_CACHE = process.env.CERTCREDS_CODE_CACHE;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** The path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Every distinct python3 that can import boto3: Debian's python3-boto3 (what .ci/run installs) first, then the one on PATH. */
export function pythonsWithBoto3(): string[] {
  const found: string[] = [];
  for (const candidate of ["/usr/bin/python3", which("python3")]) {
    if (!candidate || !existsSync(candidate) || found.includes(candidate)) continue;
    try {
      execFileSync(candidate, ["-c", "import boto3"], { stdio: "ignore" });
      found.push(candidate);
    } catch {
      /* try the next one */
    }
  }
  return found;
}

/** A Roles Anywhere setup on disk and on 127.0.0.1: PKI files, emulators, an isolated HOME and the flags that reach them. */
export interface RolesAnywhereFixture {
  dir: string;
  home: string;
  root: TestCertificateAuthority;
  issuing: TestCertificateAuthority;
  device: TestCertificate & { privateKeyPem: string };
  certFile: string;
  keyFile: string;
  chainFile: string;
  ra: RolesAnywhereEmulator;
  sts: StsEmulator;
  /** `--certificate … --trust-anchor-arn …` reaching the emulator. */
  args: string[];
  /** The same as a library init (certificate, key, chain, ARNs, endpoint). */
  init: { certificate: string; privateKey: string; certificateChain: string; trustAnchorArn: string; profileArn: string; roleArn: string; endpoint: string };
  /** HOME set to the fixture's own. */
  env: Record<string, string>;
  cacheDir: string;
  close(): Promise<void>;
}

export async function createRolesAnywhereFixture(
  options: { keyType?: TestKeyType; emulator?: Partial<RolesAnywhereEmulatorOptions> } = {},
): Promise<RolesAnywhereFixture> {
  const dir = await mkdtemp(join(tmpdir(), "certcreds-cli-"));
  const home = join(dir, "home");
  await mkdir(home, { mode: 0o700 });
  const root = await createTestCertificateAuthority({ commonName: "CLI test root CA" });
  // Validities of a real deployment, far from the expiry warning threshold: the tests of the warning choose their own.
  const issuing = await root.createIntermediate({ commonName: "CLI test issuing CA", notAfter: new Date(Date.now() + 2 * YEAR_MS) });
  const device = (await issuing.issue({
    commonName: "cli-device",
    keyType: options.keyType ?? "ec-p256",
    notAfter: new Date(Date.now() + YEAR_MS),
  })) as TestCertificate & { privateKeyPem: string };
  const certFile = join(dir, "device.pem");
  const keyFile = join(dir, "device.key");
  const chainFile = join(dir, "chain.pem");
  await writeFile(certFile, device.certificatePem);
  await writeFile(keyFile, device.privateKeyPem, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await writeFile(chainFile, issuing.certificatePem);
  const ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/cli-role"], durationSeconds: 3600 }],
    ...options.emulator,
  });
  const sts = await startStsEmulator({ issued: ra.issued });
  const args = [
    "--certificate",
    certFile,
    "--private-key",
    keyFile,
    "--intermediates",
    chainFile,
    "--trust-anchor-arn",
    ra.trustAnchorArn,
    "--profile-arn",
    ra.profileArn,
    "--role-arn",
    ra.roleArn,
    "--endpoint",
    ra.url,
  ];
  const cacheDir = join(home, ".cache", "certcreds");
  const init = {
    certificate: certFile,
    privateKey: keyFile,
    certificateChain: chainFile,
    trustAnchorArn: ra.trustAnchorArn,
    profileArn: ra.profileArn,
    roleArn: ra.roleArn,
    endpoint: ra.url,
  };
  return {
    init,
    dir,
    home,
    root,
    issuing,
    device,
    certFile,
    keyFile,
    chainFile,
    ra,
    sts,
    args,
    env: { HOME: home },
    cacheDir,
    async close() {
      await Promise.all([ra.close(), sts.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An AWS IoT credential provider emulator over mutual TLS, its STS, and the files and flags that reach it. */
export interface IotFixture {
  iot: IotCredentialEmulator;
  sts: StsEmulator;
  certFile: string;
  keyFile: string;
  caFile: string;
  thingName: string;
  roleAlias: string;
  /** `--certificate … --role-alias … --endpoint … --ca-cert …` reaching the emulator. */
  args: string[];
  close(): Promise<void>;
}

/** Writes the thing's files into `dir` (the caller removes it) and starts the emulators. */
export async function createIotFixture(dir: string, options: { keyType?: TestKeyType; lifetimeSeconds?: number } = {}): Promise<IotFixture> {
  const serverCa = await createTestCertificateAuthority({ commonName: "CLI IoT endpoint CA" });
  const server = await serverCa.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const deviceCa = await createTestCertificateAuthority({ commonName: "CLI IoT device CA" });
  const thingName = "cli-thing";
  const roleAlias = "cli-alias";
  const thing = await deviceCa.issue({
    commonName: thingName,
    keyType: options.keyType ?? "ec-p256",
    extendedKeyUsage: ["clientAuth"],
    notAfter: new Date(Date.now() + YEAR_MS),
  });
  const certFile = join(dir, "thing.pem");
  const keyFile = join(dir, "thing.key");
  const caFile = join(dir, "iot-endpoint-ca.pem");
  await writeFile(certFile, thing.certificatePem);
  await writeFile(keyFile, thing.privateKeyPem!, { mode: 0o600 });
  await writeFile(caFile, serverCa.certificatePem);
  const iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.certificatePem, key: server.privateKeyPem! },
    registeredCas: [deviceCa.certificatePem],
    things: [{ name: thingName, certificates: [thing.certificatePem] }],
    roleAliases: [{ alias: roleAlias, roleArn: "arn:aws:iam::123456789012:role/iot-role" }],
    ...(options.lifetimeSeconds !== undefined ? { lifetimeSeconds: options.lifetimeSeconds } : {}),
  });
  const sts = await startStsEmulator({ issued: iot.issued });
  return {
    iot,
    sts,
    certFile,
    keyFile,
    caFile,
    thingName,
    roleAlias,
    args: [
      "--certificate",
      certFile,
      "--private-key",
      keyFile,
      "--role-alias",
      roleAlias,
      "--thing-name",
      thingName,
      "--endpoint",
      iot.url,
      "--ca-cert",
      caFile,
    ],
    async close() {
      await Promise.all([iot.close(), sts.close()]);
    },
  };
}

/** The credential_process JSON, parsed and checked for exactly the documented fields. */
export function parseProcessOutput(stdout: string): {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
  AccountId?: string;
} {
  if (!stdout.endsWith("\n") || stdout.trim().includes("\n"))
    throw new Error(`credential-process printed more than one line: ${JSON.stringify(stdout.slice(0, 80))}`);
  const parsed = JSON.parse(stdout);
  const allowed = ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"];
  for (const key of Object.keys(parsed)) if (!allowed.includes(key)) throw new Error(`unexpected field ${key}`);
  if (parsed.Version !== 1) throw new Error(`Version is ${parsed.Version}`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(parsed.Expiration)) throw new Error(`Expiration ${parsed.Expiration} is not RFC 3339 UTC`);
  return parsed;
}

/** A running `certcreds serve` and what it printed. */
export interface Served {
  cli: RunningCli;
  /** AWS_EC2_METADATA_SERVICE_ENDPOINT without its trailing slash, to build URLs on (`${imdsEndpoint}/latest/…`). */
  imdsEndpoint: string;
  /** AWS_CONTAINER_CREDENTIALS_FULL_URI */
  containerUri: string;
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE */
  tokenFile: string;
  /** The three variables, to hand to a consumer. */
  exports: Record<string, string>;
}

/** Starts `certcreds serve --port 0 …` and waits for its export lines. */
export async function startServe(args: string[], options: RunOptions = {}): Promise<Served> {
  const cli = startCli(["serve", "--port", "0", ...args], options);
  const match = await cli.waitForOutput(/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=(\S+)\n/, 20_000);
  const lines = cli.stdout();
  const value = (name: string) => {
    const found = new RegExp(`^export ${name}=(\\S+)$`, "m").exec(lines);
    if (!found) throw new Error(`serve printed no ${name}: ${lines}`);
    return found[1]!;
  };
  const exports = {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: value("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
    AWS_CONTAINER_CREDENTIALS_FULL_URI: value("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: match[1]!,
  };
  return {
    cli,
    imdsEndpoint: exports.AWS_EC2_METADATA_SERVICE_ENDPOINT.replace(/\/$/, ""),
    containerUri: exports.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    tokenFile: exports.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
    exports,
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a fresh connection, with exactly the headers given. */
export function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, agent: false, timeout: options.timeoutMs ?? 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
    req.end(options.body);
  });
}
