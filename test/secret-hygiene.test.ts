/**
 * Secret hygiene, end to end. Every CLI command (IAM Roles Anywhere, AWS IoT,
 * and a PKCS#11 token when SoftHSM2 is installed) and every library surface
 * runs with debug logging on against the emulators, and every text a person
 * or a log could see — standard output and error, log records, error
 * messages, stacks, cause chains, util.inspect and JSON of errors, sessions
 * and providers, HTTP answers, files — is searched for every secret used or
 * issued: private keys (PEM lines, DER as base64 and hex, the private
 * numbers), passphrases, PINs, secret access keys, session tokens and serve's
 * tokens, whole and by distinctive 16-character windows.
 *
 * Only the texts whose job it is may hold credentials: credential-process's
 * JSON, the credentials file `update` writes, the credentials cache and
 * serve's answers to an authorised client. Those are checked for shape, then
 * scanned with the credentials masked.
 *
 * Also here: modes and contents of the cache, token and credentials files;
 * serve's hygiene beyond test/cli-serve.test.ts; install scripts in the
 * runtime dependency tree.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { format, inspect } from "node:util";
import type { TraceLogger } from "../src/core/logger.js";
import type { CredentialSession } from "../src/surfaces/sdk/credential-session.js";
import { createCredentialSession } from "../src/surfaces/sdk/any-mechanism.js";
import { fromIotCredentialProvider, IotCredentialSession, type IotSessionInit } from "../src/surfaces/sdk/iot.js";
import { fromRolesAnywhere, RolesAnywhereSession, type RolesAnywhereSessionInit } from "../src/surfaces/sdk/roles-anywhere.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../testing/index.js";
import { type CliResult, type HttpAnswer, http, parseProcessOutput, ROOT, requireBuild, runCli, type Served, startCli, startServe } from "./helpers/cli.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "./helpers/softhsm.js";

// ---------------------------------------------------------------------------
// Secrets, and the texts searched for them
// ---------------------------------------------------------------------------

const WINDOW = 16;

/** The base64 body lines of a PEM block. */
function pemBody(pem: string): string[] {
  return pem.split(/\r?\n/).filter((line) => line.length >= 16 && !line.startsWith("-----") && !line.includes(":"));
}

/** A value, and its 16-character windows every 8 characters (a truncated, wrapped or partial copy is still found). */
function windowsOf(value: string): string[] {
  if (value.length <= WINDOW + 8) return [value];
  const out = new Set([value]);
  for (let i = 0; i + WINDOW <= value.length; i += WINDOW / 2) out.add(value.slice(i, i + WINDOW));
  out.add(value.slice(-WINDOW));
  return [...out];
}

/** A key of the same type and size: what it shares with ours (headers, OIDs) is structure, not secret. */
function twinOf(key: KeyObject): KeyObject {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") return generateKeyPairSync("rsa", { modulusLength: details?.modulusLength ?? 2048 }).privateKey;
  return generateKeyPairSync("ec", { namedCurve: details?.namedCurve ?? "prime256v1" }).privateKey;
}

/**
 * Every secret value, by what it is. Probes (whole values and windows) that
 * also occur in public material — certificates, public keys, the structure
 * every key of a type shares — are dropped: they would not show a leak.
 */
class SecretVault {
  private readonly values = new Map<string, string>();
  private readonly publicTexts: string[] = [];
  private readonly probeCache = new Map<string, string[]>();

  constructor(private readonly issued: IssuedCredentialStore) {}

  add(label: string, value: string | undefined): void {
    if (value && !this.values.has(value)) this.values.set(value, label);
  }

  addPublic(...texts: string[]): void {
    this.publicTexts.push(...texts);
    this.probeCache.clear();
  }

  addCertificate(pem: string): void {
    const der = new X509Certificate(pem).raw;
    this.addPublic(pem, der.toString("base64"), der.toString("hex"), der.toString("hex").toUpperCase());
  }

  /** A private key: its PEM lines (PKCS#8 and as given), its DER as base64 and hex, and its private numbers. */
  addKey(label: string, key: KeyObject, givenPems: string[] = []): void {
    const der = key.export({ type: "pkcs8", format: "der" });
    for (const line of pemBody(key.export({ type: "pkcs8", format: "pem" }).toString())) this.add(`${label}: PKCS#8 PEM line`, line);
    for (const given of givenPems) for (const line of pemBody(given)) this.add(`${label}: PEM line as written`, line);
    this.add(`${label}: DER as base64`, der.toString("base64"));
    this.add(`${label}: DER as hex`, der.toString("hex"));
    this.add(`${label}: DER as HEX`, der.toString("hex").toUpperCase());
    const jwk = key.export({ format: "jwk" }) as Record<string, unknown>;
    for (const name of ["d", "p", "q", "dp", "dq", "qi"]) {
      const value = jwk[name];
      if (typeof value !== "string") continue;
      const bytes = Buffer.from(value, "base64url");
      this.add(`${label}: private ${name} (base64url)`, value);
      this.add(`${label}: private ${name} (base64)`, bytes.toString("base64"));
      this.add(`${label}: private ${name} (hex)`, bytes.toString("hex"));
    }
    const publicKey = createPublicKey(key);
    const spki = publicKey.export({ type: "spki", format: "der" });
    this.addPublic(publicKey.export({ type: "spki", format: "pem" }).toString(), spki.toString("base64"), spki.toString("hex"), JSON.stringify(publicKey.export({ format: "jwk" })));
    const twin = twinOf(key);
    const twinDer = twin.export({ type: "pkcs8", format: "der" });
    this.addPublic(twin.export({ type: "pkcs8", format: "pem" }).toString(), twinDer.toString("base64"), twinDer.toString("hex"), twinDer.toString("hex").toUpperCase());
    for (const given of givenPems) if (given.includes("RSA PRIVATE KEY")) this.addPublic(twin.export({ type: "pkcs1", format: "pem" }).toString());
  }

  private all(): [string, string][] {
    const entries = [...this.values];
    for (const credentials of this.issued.values()) {
      entries.push([credentials.secretAccessKey, `secret access key ${credentials.accessKeyId}`], [credentials.sessionToken, `session token of ${credentials.accessKeyId}`]);
    }
    return entries;
  }

  /** How many probes search for the secrets whose label starts with `prefix`. */
  probeCount(prefix: string): number {
    return this.probes().filter((p) => p.label.startsWith(prefix)).length;
  }

  /** Distinct secret values known now. */
  get count(): number {
    return this.all().length;
  }

  probes(): { probe: string; label: string }[] {
    const out: { probe: string; label: string }[] = [];
    for (const [value, label] of this.all()) {
      let probes = this.probeCache.get(value);
      if (!probes) {
        // The last PEM line of an EC key is its public point: public material, nothing to search for.
        probes = windowsOf(value).filter((probe) => !this.publicTexts.some((text) => text.includes(probe)));
        this.probeCache.set(value, probes);
      }
      for (const probe of probes) out.push({ probe, label });
    }
    return out;
  }
}

/** Shapes of secrets whatever their value (the demo's are issued in its own process). */
const DETECTORS: [RegExp, string][] = [
  [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, "a PEM private key block"],
  [/IQoJb3JpZ2luX2Vj/, "a session token (the emulators' token prefix)"],
  [/pin-value=(?!\*\*\*)/i, "an unredacted pin-value"],
];

/** Every text a person or a log could see, with where it came from. */
class Corpus {
  readonly entries: { where: string; text: string }[] = [];
  private scanned = 0;
  characters = 0;

  add(where: string, text: string | Buffer | undefined | null): void {
    if (text === undefined || text === null) return;
    const value = typeof text === "string" ? text : `${text.toString("latin1")}\n${text.toString("hex")}`;
    this.entries.push({ where, text: value });
    this.characters += value.length;
  }

  /** Searches the texts added since the last call (or all) and fails naming where each secret appeared — never the secret. */
  assertClean(vault: SecretVault, all = false): number {
    const from = all ? 0 : this.scanned;
    const entries = this.entries.slice(from);
    this.scanned = this.entries.length;
    const probes = vault.probes();
    const leaks = new Set<string>();
    for (const { where, text } of entries) {
      for (const { probe, label } of probes) if (text.includes(probe)) leaks.add(`${where}: ${label}`);
      for (const [pattern, label] of DETECTORS) if (pattern.test(text)) leaks.add(`${where}: ${label}`);
    }
    assert.deepEqual([...leaks], [], `secrets found in ${leaks.size} place(s)`);
    return entries.length;
  }
}

/** Replaces the values a text is allowed to hold, so the rest can be searched. */
function masked(text: string, values: (string | undefined)[]): string {
  let out = text;
  for (const value of values) if (value) out = out.split(value).join("«allowed»");
  return out;
}

/** A logger at the most verbose level that keeps every argument it is given. */
class RecordingLogger implements TraceLogger {
  readonly records: { level: string; content: unknown[] }[] = [];
  trace(...content: unknown[]) {
    this.records.push({ level: "trace", content });
  }
  debug(...content: unknown[]) {
    this.records.push({ level: "debug", content });
  }
  info(...content: unknown[]) {
    this.records.push({ level: "info", content });
  }
  warn(...content: unknown[]) {
    this.records.push({ level: "warn", content });
  }
  error(...content: unknown[]) {
    this.records.push({ level: "error", content });
  }
}

/** message, stack, String, util.inspect and JSON of an error and of each `cause` under it. */
function errorTexts(error: unknown): string[] {
  const out = [inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }), inspect(error)];
  try {
    out.push(JSON.stringify(error) ?? "");
  } catch {
    /* circular: inspect covered it */
  }
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    if (current instanceof Error) out.push(current.message, current.stack ?? "", String(current));
    else out.push(String(current));
    if (current instanceof AggregateError) for (const inner of current.errors) out.push(...errorTexts(inner));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The world: PKI, files, emulators, one store of everything issued
// ---------------------------------------------------------------------------

const ROLE = "arn:aws:iam::123456789012:role/hygiene-role";
const IOT_ROLE = "arn:aws:iam::123456789012:role/hygiene-iot-role";
const THING = "hygiene-thing";
const ALIAS = "hygiene-alias";
const TOKEN = "hygiene-token";
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const PASSPHRASE_WORDS = [`correct-${hex(6)}`, `horse${hex(12)}`];
const PASSPHRASE = PASSPHRASE_WORDS.join(" ");
const WRONG_PASSPHRASE = `wrong-passphrase-${hex(8)}`;
const PIN = `pin${hex(6)}`;
const WRONG_PIN = `nip${hex(6)}`;
/** A PIN a user may type where none belongs (after --reuse-pin). */
const STRAY_PIN = `${randomBytes(6).readUIntBE(0, 6)}`.padStart(12, "7");
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const unavailable = softHsmUnavailable();
const issued = new IssuedCredentialStore();
const vault = new SecretVault(issued);
const corpus = new Corpus();
const counts = { cliRuns: 0, httpAnswers: 0, logRecords: 0, errors: 0, sessions: 0, files: 0 };

let dir: string;
let home: string;
let hsm: SoftHsm | undefined;
let ra: RolesAnywhereEmulator;
let iot: IotCredentialEmulator;
let raRoot: TestCertificateAuthority;
let raIssuing: TestCertificateAuthority;
let iotServerCa: TestCertificateAuthority;
let raDevice: TestCertificate & { privateKeyPem: string; privateKey: KeyObject };
let thing: TestCertificate & { privateKeyPem: string; privateKey: KeyObject };
let raExpired: TestCertificate & { privateKeyPem: string };
let thingExpired: TestCertificate & { privateKeyPem: string };
let stranger: KeyObject;
let raEncryptedPem: string;
let thingEncryptedPem: string;
let thingPkcs1Pem: string;
let raTokenCert: TestCertificate | undefined;
let iotTokenCert: TestCertificate | undefined;
const files: Record<string, string> = {};

before(async () => {
  await requireBuild();
  dir = await mkdtemp(join(tmpdir(), "certcreds-hygiene-"));
  home = join(dir, "home");
  await mkdir(home, { mode: 0o700 });
  // SoftHSM2 lists its tokens once per process: create them before any PKCS#11 use.
  if (!unavailable) hsm = await createSoftHsm([{ label: TOKEN, pin: PIN }]);

  raRoot = await createTestCertificateAuthority({ commonName: "hygiene RA root" });
  raIssuing = await raRoot.createIntermediate({ commonName: "hygiene RA issuing CA" });
  raDevice = (await raIssuing.issue({ commonName: "hygiene-ra-device", keyType: "ec-p256" })) as typeof raDevice;
  const now = Date.now();
  raExpired = (await raIssuing.issue({ commonName: "hygiene-ra-expired", keyType: "ec-p384", notBefore: new Date(now - 3 * DAY), notAfter: new Date(now - DAY) })) as typeof raExpired;
  iotServerCa = await createTestCertificateAuthority({ commonName: "hygiene IoT endpoint CA" });
  const iotServer = await iotServerCa.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const iotDeviceCa = await createTestCertificateAuthority({ commonName: "hygiene IoT device CA", keyType: "rsa-2048" });
  thing = (await iotDeviceCa.issue({ commonName: THING, keyType: "rsa-2048", extendedKeyUsage: ["clientAuth"] })) as typeof thing;
  thingExpired = (await iotDeviceCa.issue({ commonName: THING, keyType: "ec-p256", extendedKeyUsage: ["clientAuth"], notBefore: new Date(now - 3 * DAY), notAfter: new Date(now - DAY) })) as typeof thingExpired;
  stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  raEncryptedPem = raDevice.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE }).toString();
  thingEncryptedPem = thing.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE }).toString();
  thingPkcs1Pem = thing.privateKey.export({ type: "pkcs1", format: "pem" }).toString();

  const thingCertificates = [thing.certificatePem, thingExpired.certificatePem];
  if (hsm) {
    raTokenCert = await raIssuing.issue({ commonName: "hygiene-ra-token", publicKey: await hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "ra-key" }) });
    await hsm.writeCertificate(TOKEN, raTokenCert.certificateDer, { id: "01", label: "ra-key" });
    iotTokenCert = await iotDeviceCa.issue({ commonName: THING, publicKey: await hsm.generateKey(TOKEN, "ec-p256", { id: "02", label: "iot-key" }), extendedKeyUsage: ["clientAuth"] });
    thingCertificates.push(iotTokenCert.certificatePem);
  }

  ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [raRoot.certificatePem] }], profiles: [{ roleArns: [ROLE], durationSeconds: 3600 }], issued });
  iot = await startIotCredentialEmulator({
    serverCertificate: { cert: iotServer.certificatePem, key: iotServer.privateKeyPem! },
    registeredCas: [iotDeviceCa.certificatePem],
    things: [{ name: THING, certificates: thingCertificates }],
    roleAliases: [{ alias: ALIAS, roleArn: IOT_ROLE }],
    issued,
  });

  const write = async (name: string, content: string, mode = 0o644) => {
    files[name] = join(dir, name);
    await writeFile(files[name]!, content, { mode });
  };
  await write("ra.pem", raDevice.certificatePem);
  await write("ra.key", raDevice.privateKeyPem, 0o600);
  await write("ra-encrypted.key", raEncryptedPem, 0o600);
  await write("chain.pem", raIssuing.certificatePem);
  await write("ra-expired.pem", raExpired.certificatePem);
  await write("ra-expired.key", raExpired.privateKeyPem, 0o600);
  await write("stranger.key", stranger.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
  await write("thing.pem", thing.certificatePem);
  await write("thing.key", thingPkcs1Pem, 0o600);
  await write("thing-encrypted.key", thingEncryptedPem, 0o600);
  await write("thing-expired.pem", thingExpired.certificatePem);
  await write("thing-expired.key", thingExpired.privateKeyPem, 0o600);
  await write("iot-ca.pem", iotServerCa.certificatePem);
  if (raTokenCert) await write("ra-token.pem", raTokenCert.certificatePem);
  if (iotTokenCert) await write("iot-token.pem", iotTokenCert.certificatePem);

  vault.addKey("the Roles Anywhere device key", raDevice.privateKey, [raDevice.privateKeyPem, raEncryptedPem]);
  vault.addKey("the expired Roles Anywhere certificate's key", raExpired.privateKey!, [raExpired.privateKeyPem]);
  vault.addKey("the thing's key", thing.privateKey, [thing.privateKeyPem, thingPkcs1Pem, thingEncryptedPem]);
  vault.addKey("the expired thing certificate's key", thingExpired.privateKey!, [thingExpired.privateKeyPem]);
  vault.addKey("a stranger key", stranger);
  for (const certificate of [raRoot, raIssuing, raDevice, raExpired, iotServerCa, iotDeviceCa, thing, thingExpired, iotServer, raTokenCert, iotTokenCert]) {
    if (certificate) vault.addCertificate(certificate.certificatePem);
  }
  vault.add("the passphrase", PASSPHRASE);
  for (const word of PASSPHRASE_WORDS) vault.add("a word of the passphrase", word);
  vault.add("a wrong passphrase", WRONG_PASSPHRASE);
  vault.add("the PIN", PIN);
  vault.add("a wrong PIN", WRONG_PIN);
  vault.add("a PIN typed after --reuse-pin", STRAY_PIN);
});

after(async () => {
  await Promise.all([ra?.close(), iot?.close()]);
  await hsm?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const raArgs = (o: { certificate?: string; privateKey?: string } = {}): string[] => [
  "--certificate",
  o.certificate ?? files["ra.pem"]!,
  "--private-key",
  o.privateKey ?? files["ra.key"]!,
  "--intermediates",
  files["chain.pem"]!,
  "--trust-anchor-arn",
  ra.trustAnchorArn,
  "--profile-arn",
  ra.profileArn,
  "--role-arn",
  ROLE,
  "--endpoint",
  ra.url,
];
const iotArgs = (o: { certificate?: string; privateKey?: string } = {}): string[] => [
  "--certificate",
  o.certificate ?? files["thing.pem"]!,
  "--private-key",
  o.privateKey ?? files["thing.key"]!,
  "--role-alias",
  ALIAS,
  "--thing-name",
  THING,
  "--endpoint",
  iot.url,
  "--ca-cert",
  files["iot-ca.pem"]!,
];

/** The two mechanisms, as the CLI tests drive them. */
interface Mechanism {
  name: string;
  args(o?: { certificate?: string; privateKey?: string }): string[];
  files: { expiredCertificate: string; expiredKey: string; encryptedKey: string };
  /** Queues the mechanism's "access denied" answer, a run of 500s and a run of 429s. */
  denied(): void;
  failing(times: number): void;
  throttled(times: number): void;
}

const MECHANISMS: Mechanism[] = [
  {
    name: "Roles Anywhere",
    args: raArgs,
    get files() {
      return { expiredCertificate: files["ra-expired.pem"]!, expiredKey: files["ra-expired.key"]!, encryptedKey: files["ra-encrypted.key"]! };
    },
    denied: () => ra.inject({ status: 403, errorType: "AccessDeniedException", message: "Untrusted signing certificate" }),
    failing: (times) => ra.inject({ status: 500, errorType: "InternalServerException", times }),
    throttled: (times) => ra.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times }),
  },
  {
    name: "IoT",
    args: iotArgs,
    get files() {
      return { expiredCertificate: files["thing-expired.pem"]!, expiredKey: files["thing-expired.key"]!, encryptedKey: files["thing-encrypted.key"]! };
    },
    denied: () => iot.inject({ status: 403, message: "Access Denied" }),
    failing: (times) => iot.inject({ status: 500, times }),
    throttled: (times) => iot.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times }),
  },
];

// ---------------------------------------------------------------------------
// Running things and recording what they show
// ---------------------------------------------------------------------------

interface CliOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  /** The expected exit code. */
  code?: number;
  /** Standard output is credential-process's JSON: check it, then mask the credentials. */
  processJson?: boolean;
}

/** Runs the built CLI in the fixture's HOME and records both outputs. */
async function cli(where: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { HOME: home, ...(hsm ? { SOFTHSM2_CONF: hsm.conf } : {}), ...options.env };
  const result = await runCli(args, { env, ...(options.input !== undefined ? { input: options.input } : {}), timeoutMs: 45_000 });
  counts.cliRuns++;
  if (options.code !== undefined) assert.equal(result.code, options.code, `${where}: exit code (stderr: ${result.stderr})`);
  let stdout: string | Buffer = result.stdout;
  if (options.processJson && result.code === 0) {
    const answer = parseProcessOutput(result.stdout);
    const expected = issued.get(answer.AccessKeyId);
    assert.ok(expected, `${where}: the credentials were issued by an emulator`);
    assert.equal(answer.SecretAccessKey, expected.secretAccessKey);
    assert.equal(answer.SessionToken, expected.sessionToken);
    stdout = masked(result.stdout, [answer.SecretAccessKey, answer.SessionToken]);
  } else if (result.stdoutBytes.includes(0) || !result.stdoutBytes.equals(Buffer.from(result.stdout, "utf8"))) {
    stdout = result.stdoutBytes;
  }
  corpus.add(`${where} — stdout`, stdout);
  corpus.add(`${where} — stderr`, result.stderr);
  return result;
}

/** Records an HTTP answer (status, headers, body); `allowed` are values this answer may hold (credentials to an authorised client). */
function recordAnswer(where: string, answer: HttpAnswer, allowed: (string | undefined)[] = []): HttpAnswer {
  counts.httpAnswers++;
  corpus.add(where, masked(`HTTP ${answer.status}\n${JSON.stringify(answer.headers)}\n${answer.body}`, allowed));
  for (const name of Object.keys(answer.headers)) assert.ok(!name.startsWith("access-control-"), `${where}: no CORS header (${name})`);
  return answer;
}

function recordLogger(where: string, logger: RecordingLogger): void {
  for (const { level, content } of logger.records) {
    counts.logRecords++;
    corpus.add(`${where} — log ${level}`, format(...content));
    corpus.add(`${where} — log ${level} (inspected)`, inspect(content, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
  }
}

function recordError(where: string, error: unknown): void {
  counts.errors++;
  for (const text of errorTexts(error)) corpus.add(`${where} — error`, text);
}

/** JSON and util.inspect of a session and its provider: never the key, the secret or the token. */
function recordSession(where: string, session: CredentialSession): void {
  counts.sessions++;
  corpus.add(`${where} — JSON.stringify(session)`, JSON.stringify(session));
  corpus.add(`${where} — inspect(session)`, inspect(session));
  corpus.add(`${where} — inspect(session, showHidden)`, inspect(session, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
  corpus.add(`${where} — String(session)`, String(session));
  corpus.add(`${where} — inspect(provider)`, inspect(session.provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
  corpus.add(`${where} — JSON.stringify(provider)`, String(JSON.stringify(session.provider)));
  const json = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
  for (const key of Object.keys(json)) assert.ok(["mechanism", "accessKeyId", "expiration"].includes(key), `${where}: JSON of a session holds only what identifies it (${key})`);
}

/** Runs a library session: `run` uses it, then its log, errors, JSON and inspection are recorded. */
async function librarySession(
  where: string,
  create: (logger: RecordingLogger) => CredentialSession,
  run: (session: CredentialSession) => Promise<unknown>,
  expect: "success" | "error",
): Promise<unknown> {
  const logger = new RecordingLogger();
  let session: CredentialSession | undefined;
  let outcome: unknown;
  try {
    session = create(logger);
    outcome = await run(session).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  } catch (error) {
    // A constructor refusing the init is an error path too.
    outcome = { error };
  }
  const { value, error } = outcome as { value?: unknown; error?: unknown };
  if (expect === "success") assert.equal(error, undefined, `${where}: ${(error as Error)?.message}`);
  else assert.notEqual(error, undefined, `${where}: expected an error`);
  if (error !== undefined) recordError(where, error);
  if (session) {
    recordSession(where, session);
    await session.close();
  }
  recordLogger(where, logger);
  return error ?? value;
}

// ---------------------------------------------------------------------------
// 1. Every command and library path, with debug logging on
// ---------------------------------------------------------------------------

describe("secret hygiene: no key, PIN, passphrase, secret key or token in anything shown", () => {
  test("CLI: --help, --version, the help of each command", async () => {
    const runs: [string, string[], number][] = [
      ["certcreds --help", ["--help"], 0],
      ["certcreds -h", ["-h"], 0],
      ["certcreds (no command)", [], 2],
      ["certcreds --version", ["--version"], 0],
      ["certcreds version", ["version"], 0],
      ["certcreds help serve", ["help", "serve"], 0],
      ["certcreds cache --help", ["cache", "--help"], 0],
      ...["credential-process", "serve", "update", "sign-string", "read-certificate-data", "doctor"].map((c): [string, string[], number] => [`certcreds ${c} --help`, [c, "--help"], 0]),
    ];
    await Promise.all(runs.map(([where, args, code]) => cli(where, args, { code })));
    corpus.assertClean(vault);
  });

  test("CLI: usage and configuration errors never echo a secret the user mistyped", async () => {
    const malformedUri = `pkcs11:token=${TOKEN};bogus=1?pin-value=${PIN}`;
    const runs: [string, string[], number, Record<string, string>?][] = [
      ["a PIN after --reuse-pin (which takes no value)", ["credential-process", "--reuse-pin", STRAY_PIN, ...raArgs()], 2],
      ["a PIN as the value of --reuse-pin", ["credential-process", `--reuse-pin=${STRAY_PIN}`, ...raArgs()], 2],
      ["a PIN in CERTCREDS_REUSE_PIN", ["credential-process", ...raArgs()], 3, { CERTCREDS_REUSE_PIN: STRAY_PIN }],
      ["a passphrase with a space, unquoted", ["credential-process", "--pkcs8-password", ...PASSPHRASE_WORDS, ...raArgs()], 2],
      ["a passphrase with a space, unquoted, --flag=value", ["credential-process", `--pkcs8-password=${PASSPHRASE_WORDS[0]}`, PASSPHRASE_WORDS[1]!, ...raArgs()], 2],
      ["a mistyped passphrase flag", ["credential-process", `--pkcs8-pasword=${PASSPHRASE}`, ...raArgs()], 2],
      ["a passphrase flag on a command without it", ["read-certificate-data", "--certificate", files["ra.pem"]!, "--pkcs8-password", PASSPHRASE], 2],
      ["a passphrase and no mechanism", ["credential-process", "--pkcs8-password", PASSPHRASE, "--certificate", files["ra.pem"]!], 2],
      ["both mechanisms, key as PEM text", ["credential-process", ...raArgs({ privateKey: raDevice.privateKeyPem }), "--role-alias", ALIAS], 2],
      ["key as PEM text and an unknown flag", ["credential-process", ...raArgs({ privateKey: raDevice.privateKeyPem }), "--bogus"], 2],
      ["a malformed PKCS#11 URI holding a PIN", ["credential-process", ...raArgs({ privateKey: malformedUri })], 3],
      ["a PKCS#11 URI holding a PIN given to sign-string", ["sign-string", "--private-key", `pkcs11:token=${TOKEN}?pin-value=${PIN}`, "--string", "x"], 2],
      ["a PKCS#11 URI holding a PIN given to read-certificate-data", ["read-certificate-data", "--certificate", `pkcs11:token=${TOKEN}?pin-value=${PIN}`], 3],
      ["serve with a passphrase and a bad port", ["serve", ...raArgs(), "--pkcs8-password", PASSPHRASE, "--port", "99999"], 2],
      ["update with a bad profile name", ["update", ...raArgs(), "--profile", "a]b"], 2],
    ];
    const results = await Promise.all(runs.map(([where, args, code, env]) => cli(`usage error: ${where}`, [...args, "--debug"], { code, ...(env ? { env } : {}) })));
    corpus.assertClean(vault);
    // Still saying what to fix.
    assert.match(results[0]!.stderr, /unexpected argument after --reuse-pin .*--reuse-pin takes no value/);
    assert.match(results[1]!.stderr, /--reuse-pin must be true or false/);
    assert.match(results[3]!.stderr, /unexpected argument after --pkcs8-password .*quote a value that holds spaces/);
    assert.match(results[10]!.stderr, /pin-value=\*\*\*/);
  });

  for (const mechanism of MECHANISMS) {
    describe(`CLI, ${mechanism.name}`, () => {
      test("credential-process: cold (cache written), warm (from the cache), --no-cache; key from env:VAR and standard input", async () => {
        const where = `credential-process (${mechanism.name})`;
        const cold = await cli(`${where}, cold`, ["credential-process", ...mechanism.args(), "--debug"], { code: 0, processJson: true });
        const warm = await cli(`${where}, warm`, ["credential-process", ...mechanism.args(), "--debug"], { code: 0, processJson: true });
        assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId, "the warm call answers from the cache");
        await cli(`${where}, --no-cache`, ["credential-process", ...mechanism.args(), "--no-cache", "--debug"], { code: 0, processJson: true });
        const pem = mechanism.name === "IoT" ? thingPkcs1Pem : raDevice.privateKeyPem;
        await cli(`${where}, key from env:VAR`, ["credential-process", ...mechanism.args({ privateKey: "env:DEVICE_KEY" }), "--no-cache", "--debug"], {
          code: 0,
          processJson: true,
          env: { DEVICE_KEY: pem },
        });
        await cli(`${where}, key from standard input`, ["credential-process", ...mechanism.args({ privateKey: "-" }), "--no-cache", "--debug"], { code: 0, processJson: true, input: pem });
        await cli(`${where}, encrypted key, CERTCREDS_PKCS8_PASSWORD`, ["credential-process", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--no-cache", "--debug"], {
          code: 0,
          processJson: true,
          env: { CERTCREDS_PKCS8_PASSWORD: PASSPHRASE },
        });
        await cli(`${where}, encrypted key, --pkcs8-password`, ["credential-process", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", PASSPHRASE, "--debug"], {
          code: 0,
          processJson: true,
        });
        corpus.assertClean(vault);
      });

      test("credential-process errors: wrong key, expired certificate, wrong or missing passphrase, service errors with retries", async () => {
        const where = `credential-process (${mechanism.name})`;
        const base = ["credential-process", "--no-cache", "--debug"];
        await Promise.all([
          cli(`${where}, wrong key`, [...base, ...mechanism.args({ privateKey: files["stranger.key"]! })], { code: 3 }),
          cli(`${where}, wrong key as PEM text`, [...base, ...mechanism.args({ privateKey: stranger.export({ type: "pkcs8", format: "pem" }).toString() })], { code: 3 }),
          cli(`${where}, expired certificate`, [...base, ...mechanism.args({ certificate: mechanism.files.expiredCertificate, privateKey: mechanism.files.expiredKey })], { code: 3 }),
          cli(`${where}, wrong passphrase`, [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", WRONG_PASSPHRASE], { code: 3 }),
          cli(`${where}, wrong passphrase from the environment`, [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey })], {
            code: 3,
            env: { CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
          }),
          cli(`${where}, no passphrase`, [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey })], { code: 3 }),
          cli(`${where}, key given as certificate`, [...base, ...mechanism.args({ certificate: mechanism.name === "IoT" ? files["thing.key"]! : files["ra.key"]! })], { code: 3 }),
        ]);
        mechanism.denied();
        await cli(`${where}, access denied`, [...base, ...mechanism.args()], { code: 1 });
        mechanism.failing(3);
        await cli(`${where}, 500 three times`, [...base, ...mechanism.args()], { code: 1 });
        mechanism.throttled(3);
        await cli(`${where}, throttled three times`, [...base, ...mechanism.args()], { code: 1 });
        corpus.assertClean(vault);
      });

      test("update --once, doctor passing and failing, sign-string, read-certificate-data", async () => {
        const where = (what: string) => `${what} (${mechanism.name})`;
        const credentialsFile = join(dir, `credentials-${mechanism.name.replace(/\s/g, "-")}`);
        const update = await cli(where("update --once"), ["update", ...mechanism.args(), "--once", "--profile", "hygiene", "--debug"], {
          code: 0,
          env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile },
        });
        assert.equal(update.stdout, "");
        const written = await readFile(credentialsFile, "utf8");
        const keyId = /aws_access_key_id = (\S+)/.exec(written)?.[1];
        const expected = issued.get(keyId ?? "");
        assert.ok(expected, "update wrote issued credentials");
        corpus.add(where("the credentials file update wrote"), masked(written, [expected.secretAccessKey, expected.sessionToken]));
        counts.files++;
        // Kept running: the refresh loop's lines too.
        const running = startCli(["update", ...mechanism.args(), "--profile", "running", "--debug"], { env: { HOME: home, AWS_SHARED_CREDENTIALS_FILE: credentialsFile } });
        await running.waitForError(/next refresh in \d+ s/);
        const stopped = await running.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
        counts.cliRuns++;
        corpus.add(where("update, running — stdout"), stopped.stdout);
        corpus.add(where("update, running — stderr"), stopped.stderr);
        await cli(where("update --once, wrong passphrase"), ["update", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--once", "--debug"], {
          code: 3,
          env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
        });
        mechanism.failing(3);
        await cli(where("update --once, service failing"), ["update", ...mechanism.args(), "--once", "--debug"], { code: 1, env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile } });
        const key = mechanism.name === "IoT" ? files["thing.key"]! : files["ra.key"]!;
        await Promise.all([
          cli(where("doctor, passing"), ["doctor", ...mechanism.args(), "--debug"], { code: 0 }),
          cli(where("doctor, wrong key"), ["doctor", ...mechanism.args({ privateKey: files["stranger.key"]! }), "--debug"], { code: 1 }),
          cli(where("doctor, expired certificate"), ["doctor", ...mechanism.args({ certificate: mechanism.files.expiredCertificate, privateKey: mechanism.files.expiredKey }), "--debug"], { code: 1 }),
          cli(where("doctor, wrong passphrase"), ["doctor", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", WRONG_PASSPHRASE, "--debug"], { code: 1 }),
          cli(where("doctor, key given as certificate"), ["doctor", ...mechanism.args({ certificate: key }), "--debug"], { code: 1 }),
          cli(where("sign-string json"), ["sign-string", "--private-key", key, "--string", "hello", "--debug"], { code: 0 }),
          cli(where("sign-string text, SHA384"), ["sign-string", "--private-key", key, "--string", "hello", "--format", "text", "--digest", "SHA384", "--debug"], { code: 0 }),
          cli(where("sign-string bin, from standard input"), ["sign-string", "--private-key", key, "--format", "bin", "--debug"], { code: 0, input: "hello" }),
          cli(where("sign-string, key from standard input"), ["sign-string", "--private-key", "-", "--string", "hello", "--debug"], { code: 0, input: readFileSync(key) }),
          cli(where("sign-string, encrypted key"), ["sign-string", "--private-key", mechanism.files.encryptedKey, "--pkcs8-password", PASSPHRASE, "--string", "x", "--debug"], { code: 0 }),
          cli(where("sign-string, wrong passphrase"), ["sign-string", "--private-key", mechanism.files.encryptedKey, "--string", "x", "--debug"], {
            code: 3,
            env: { CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
          }),
          cli(where("sign-string, bad digest"), ["sign-string", "--private-key", key, "--string", "x", "--digest", "MD5", "--debug"], { code: 2 }),
          cli(where("read-certificate-data"), ["read-certificate-data", "--certificate", mechanism.args()[1]!, "--debug"], { code: 0 }),
          cli(where("read-certificate-data, key given as certificate"), ["read-certificate-data", "--certificate", key, "--debug"], { code: 3 }),
        ]);
        mechanism.denied();
        await cli(where("doctor, access denied"), ["doctor", ...mechanism.args(), "--debug"], { code: 1 });
        corpus.assertClean(vault);
      });

      test("serve: IMDSv2 and the container endpoint answer credentials only to an authorised client", async () => {
        const where = `serve (${mechanism.name})`;
        const served = await startServe([...mechanism.args(), "--debug"], { env: { HOME: home } });
        let stopped: CliResult | undefined;
        try {
          const token = await readFile(served.tokenFile, "utf8");
          vault.add("serve's container authorization token", token);
          const put = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300" } });
          const imdsToken = put.body;
          vault.add("an IMDSv2 session token", imdsToken);
          recordAnswer(`${where}: PUT token`, put, [imdsToken]);
          const listing = recordAnswer(`${where}: GET role`, await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": imdsToken } }));
          const imds = await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`, { headers: { "x-aws-ec2-metadata-token": imdsToken } });
          const imdsJson = JSON.parse(imds.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
          assert.equal(imdsJson.SecretAccessKey, issued.get(imdsJson.AccessKeyId)?.secretAccessKey);
          recordAnswer(`${where}: GET IMDS credentials (authorised)`, imds, [imdsJson.SecretAccessKey, imdsJson.Token]);
          const container = await http(served.containerUri, { headers: { Authorization: token } });
          const containerJson = JSON.parse(container.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
          assert.equal(containerJson.Token, issued.get(containerJson.AccessKeyId)?.sessionToken);
          recordAnswer(`${where}: GET container credentials (authorised)`, container, [containerJson.SecretAccessKey, containerJson.Token]);
          const refused = [
            await http(served.containerUri),
            await http(served.containerUri, { headers: { Authorization: `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}` } }),
            await http(served.containerUri, { headers: { Authorization: `Bearer ${token}` } }),
            await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`),
            await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`, { headers: { "x-aws-ec2-metadata-token": `${imdsToken}x` } }),
            await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300", "X-Forwarded-For": "10.1.2.3" } }),
          ];
          for (const [i, answer] of refused.entries()) {
            assert.ok(answer.status === 401 || answer.status === 403, `${where}: unauthorised request ${i} refused (${answer.status})`);
            recordAnswer(`${where}: unauthorised request ${i}`, answer);
          }
          recordAnswer(`${where}: /healthz`, await http(`${served.imdsEndpoint}/healthz`));
          recordAnswer(`${where}: OPTIONS /credentials`, await http(served.containerUri, { method: "OPTIONS", headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "GET" } }));
        } finally {
          stopped = await served.cli.stop();
        }
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.ok(!existsSync(served.tokenFile), "the token file is deleted at exit");
        counts.cliRuns++;
        corpus.add(`${where} — stdout`, stopped.stdout);
        corpus.add(`${where} — stderr`, stopped.stderr);
        corpus.assertClean(vault);
      });
    });
  }

  test("CLI: cache clear and demo", async () => {
    await cli("cache clear", ["cache", "clear", "--debug"], { code: 0 });
    const demo = await cli("demo", ["demo"], { code: 0 });
    assert.match(demo.stdout, /Done: certificate in, working AWS credentials out/);
    corpus.assertClean(vault);
  });

  describe("CLI with the key on a PKCS#11 token (SoftHSM2)", { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
    const uri = (pin: string | undefined, object = "ra-key") => `pkcs11:token=${TOKEN};object=${object};type=private${pin ? `?pin-value=${pin}` : ""}`;
    const tokenArgs = (pin: string | undefined) => [
      ...raArgs({ certificate: files["ra-token.pem"]!, privateKey: uri(pin) }),
      "--pkcs11-lib",
      hsm!.library,
    ];

    test("Roles Anywhere: credential-process (cached; the PIN is not part of the cache key), wrong PIN, PIN from the environment, doctor, serve", async () => {
      const where = "PKCS#11 credential-process";
      const cold = await cli(`${where}, PIN in the URI, cold`, ["credential-process", ...tokenArgs(PIN), "--debug"], { code: 0, processJson: true });
      // The cache key hashes the configuration without the PIN: another pin-value finds the same entry.
      const warm = await cli(`${where}, another pin-value, warm`, ["credential-process", ...tokenArgs(WRONG_PIN), "--debug"], { code: 0, processJson: true });
      assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId);
      const wrong = await cli(`${where}, wrong PIN`, ["credential-process", ...tokenArgs(WRONG_PIN), "--no-cache", "--debug"], { code: 3 });
      assert.match(wrong.stderr, /CKR_PIN_INCORRECT/);
      await cli(`${where}, PIN from CERTCREDS_PKCS11_PIN`, ["credential-process", ...tokenArgs(undefined), "--no-cache", "--debug"], {
        code: 0,
        processJson: true,
        env: { CERTCREDS_PKCS11_PIN: PIN },
      });
      await cli("PKCS#11 doctor", ["doctor", ...tokenArgs(PIN), "--debug"], { code: 0 });
      await cli("PKCS#11 doctor, wrong PIN", ["doctor", ...tokenArgs(undefined), "--debug"], { code: 1, env: { CERTCREDS_PKCS11_PIN: WRONG_PIN } });
      const served = await startServe([...tokenArgs(PIN), "--debug"], { env: { HOME: home, SOFTHSM2_CONF: hsm!.conf } });
      try {
        const token = await readFile(served.tokenFile, "utf8");
        vault.add("serve's container authorization token (PKCS#11)", token);
        const answer = await http(served.containerUri, { headers: { Authorization: token } });
        const json = JSON.parse(answer.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
        assert.equal(json.Token, issued.get(json.AccessKeyId)?.sessionToken);
        recordAnswer("PKCS#11 serve: container credentials (authorised)", answer, [json.SecretAccessKey, json.Token]);
      } finally {
        const stopped = await served.cli.stop();
        counts.cliRuns++;
        corpus.add("PKCS#11 serve — stdout", stopped.stdout);
        corpus.add("PKCS#11 serve — stderr", stopped.stderr);
      }
      corpus.assertClean(vault);
    });

    test("IoT: credential-process with the thing's key on the token (aws-crt mutual TLS)", async () => {
      const args = [
        ...iotArgs({ certificate: files["iot-token.pem"]!, privateKey: `pkcs11:token=${TOKEN};object=iot-key;type=private?pin-value=${PIN}` }),
        "--pkcs11-lib",
        hsm!.library,
      ];
      await cli("PKCS#11 IoT credential-process", ["credential-process", ...args, "--no-cache", "--debug"], { code: 0, processJson: true });
      corpus.assertClean(vault);
    });
  });

  describe("library, with a logger at the most verbose level", () => {
    const raInit = (logger: RecordingLogger, extra: Partial<RolesAnywhereSessionInit> = {}): RolesAnywhereSessionInit => ({
      certificate: files["ra.pem"]!,
      certificateChain: files["chain.pem"]!,
      privateKey: files["ra.key"]!,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ROLE,
      endpoint: ra.url,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger,
      ...extra,
    });
    const iotInit = (logger: RecordingLogger, extra: Partial<IotSessionInit> = {}): IotSessionInit => ({
      endpoint: iot.url,
      roleAlias: ALIAS,
      thingName: THING,
      certificate: files["thing.pem"]!,
      privateKey: files["thing.key"]!,
      ca: iotServerCa.certificatePem,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger,
      logLevel: "trace",
      ...extra,
    });
    const fetchTwice = async (session: CredentialSession) => {
      const first = await session.getCredentials();
      assert.equal(first.sessionToken, issued.get(first.accessKeyId)?.sessionToken);
      await session.getCredentials();
      return session.getCredentials({ forceRefresh: true });
    };

    test("Roles Anywhere: fromRolesAnywhere, RolesAnywhereSession, createCredentialSession (file, PEM text with passphrase, DER bytes)", async () => {
      await librarySession(
        "RolesAnywhereSession (key file), through its clientConfig provider",
        (logger) => new RolesAnywhereSession(raInit(logger)),
        async (session) => {
          await fetchTwice(session);
          const identity = await session.clientConfig().credentials();
          assert.equal(identity.secretAccessKey, issued.get(identity.accessKeyId)?.secretAccessKey);
        },
        "success",
      );
      const logger = new RecordingLogger();
      const provider = fromRolesAnywhere(raInit(logger));
      const identity = await provider({ forceRefresh: true });
      assert.equal(identity.sessionToken, issued.get(identity.accessKeyId)?.sessionToken);
      corpus.add("fromRolesAnywhere — inspect(provider)", inspect(provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
      corpus.add("fromRolesAnywhere — JSON.stringify(provider)", String(JSON.stringify(provider)));
      recordLogger("fromRolesAnywhere (key file)", logger);
      await librarySession(
        "RolesAnywhereSession (encrypted PEM text, passphrase)",
        (logger) =>
          new RolesAnywhereSession(raInit(logger, { certificate: raDevice.certificatePem, certificateChain: raIssuing.certificatePem, privateKey: raEncryptedPem, passphrase: PASSPHRASE })),
        fetchTwice,
        "success",
      );
      await librarySession(
        "createCredentialSession (Roles Anywhere, DER bytes)",
        (logger) =>
          createCredentialSession(
            raInit(logger, {
              certificate: new Uint8Array(raDevice.certificateDer),
              privateKey: new Uint8Array(raDevice.privateKey.export({ type: "pkcs8", format: "der" })),
            }),
          ),
        fetchTwice,
        "success",
      );
      corpus.assertClean(vault);
    });

    test("IoT at logLevel trace: IotCredentialSession, fromIotCredentialProvider, createCredentialSession (PKCS#1 file, encrypted PEM, DER bytes)", async () => {
      await librarySession("IotCredentialSession (PKCS#1 key file)", (logger) => new IotCredentialSession(iotInit(logger)), fetchTwice, "success");
      const logger = new RecordingLogger();
      const provider = fromIotCredentialProvider(iotInit(logger, { privateKey: thingEncryptedPem, passphrase: PASSPHRASE }));
      const identity = await provider();
      assert.ok(issued.has(identity.accessKeyId));
      corpus.add("fromIotCredentialProvider — inspect(provider)", inspect(provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
      corpus.add("fromIotCredentialProvider — JSON.stringify(provider)", String(JSON.stringify(provider)));
      recordLogger("fromIotCredentialProvider (encrypted PEM, passphrase)", logger);
      await librarySession(
        "createCredentialSession (IoT, DER bytes)",
        (logger) =>
          createCredentialSession(
            iotInit(logger, { certificate: new Uint8Array(thing.certificateDer), privateKey: new Uint8Array(thing.privateKey.export({ type: "pkcs8", format: "der" })) }),
          ),
        fetchTwice,
        "success",
      );
      corpus.assertClean(vault);
    });

    for (const name of ["Roles Anywhere", "IoT"] as const) {
      test(`${name} error paths: wrong key, expired certificate, wrong and missing passphrase, service errors, network errors, a failed refresh`, async () => {
        const isIot = name === "IoT";
        const create = (extra: Partial<RolesAnywhereSessionInit & IotSessionInit>) => (logger: RecordingLogger) =>
          isIot ? new IotCredentialSession(iotInit(logger, extra as Partial<IotSessionInit>)) : new RolesAnywhereSession(raInit(logger, extra as Partial<RolesAnywhereSessionInit>));
        const get = (session: CredentialSession) => session.getCredentials();
        const expired = isIot ? { certificate: thingExpired.certificatePem, privateKey: thingExpired.privateKeyPem } : { certificate: raExpired.certificatePem, privateKey: raExpired.privateKeyPem };
        const encrypted = isIot ? thingEncryptedPem : raEncryptedPem;
        const cases: [string, Partial<RolesAnywhereSessionInit & IotSessionInit>, (() => void)?][] = [
          ["wrong key", { privateKey: stranger.export({ type: "pkcs8", format: "pem" }).toString() }],
          ["expired certificate", expired],
          ["wrong passphrase", { privateKey: encrypted, passphrase: WRONG_PASSPHRASE }],
          ["no passphrase", { privateKey: encrypted }],
          ["key given as certificate", { certificate: isIot ? thingPkcs1Pem : raDevice.privateKeyPem }],
          ["access denied", {}, () => (isIot ? iot.inject({ status: 403, message: "Access Denied" }) : ra.inject({ status: 403, errorType: "AccessDeniedException", message: "Untrusted signing certificate" }))],
          ["500 until retries run out", {}, () => (isIot ? iot.inject({ status: 500, times: 3 }) : ra.inject({ status: 500, errorType: "InternalServerException", times: 3 }))],
          ["throttled until retries run out", {}, () => (isIot ? iot.inject({ status: 429, retryAfterSeconds: 0, times: 3 }) : ra.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times: 3 }))],
          ["connection reset", {}, () => (isIot ? iot.inject({ resetConnection: true, times: 3 }) : ra.inject({ resetConnection: true, times: 3 }))],
          ["a success answer that is not JSON", {}, () => (isIot ? iot.inject({ malformedBody: true, times: 3 }) : ra.inject({ malformedBody: true, times: 3 }))],
          ["no answer within the deadline", { timeoutMs: 300, retry: { maxAttempts: 1 } }, () => (isIot ? iot.inject({ hang: true }) : ra.inject({ hang: true }))],
        ];
        if (isIot) {
          cases.push(["unknown thing", { thingName: "no-such-thing" }], ["server not trusted (no ca)", { ca: raRoot.certificatePem }]);
        } else {
          cases.push(["unreachable endpoint", { endpoint: "http://127.0.0.1:9", retry: { maxAttempts: 1 } }]);
        }
        for (const [what, extra, fault] of cases) {
          fault?.();
          try {
            await librarySession(`${name} library: ${what}`, create(extra), get, "error");
          } finally {
            (isIot ? iot : ra).clearFaults();
          }
        }
        // A refresh that fails while the session holds credentials.
        await librarySession(
          `${name} library: a forced refresh fails`,
          create({}),
          async (session) => {
            await session.getCredentials();
            if (isIot) iot.inject({ status: 500, times: 3 });
            else ra.inject({ status: 500, errorType: "InternalServerException", times: 3 });
            return session.getCredentials({ forceRefresh: true });
          },
          "error",
        );
        corpus.assertClean(vault);
      });
    }

    test("PKCS#11 token: wrong PIN, right PIN from the config and from a URI", { skip: unavailable ? `skipped: ${unavailable}` : false }, async () => {
      const pkcs11 = (userPin: string) => ({ library: hsm!.library, userPin, tokenLabel: TOKEN, privateKeyLabel: "ra-key" });
      // The wrong PIN first: once logged in, a token accepts any later C_Login of the same process.
      const error = await librarySession(
        "RolesAnywhereSession, PKCS#11 wrong PIN",
        (logger) => new RolesAnywhereSession(raInit(logger, { certificate: raTokenCert!.certificatePem, privateKey: undefined, pkcs11: pkcs11(WRONG_PIN) })),
        (session) => session.getCredentials(),
        "error",
      );
      assert.equal((error as { kind?: string }).kind, "pin-incorrect");
      await librarySession(
        "RolesAnywhereSession, PKCS#11 config",
        (logger) => new RolesAnywhereSession(raInit(logger, { certificate: raTokenCert!.certificatePem, privateKey: undefined, pkcs11: pkcs11(PIN) })),
        fetchTwice,
        "success",
      );
      await librarySession(
        "createCredentialSession, PKCS#11 URI with pin-value",
        (logger) =>
          createCredentialSession(
            raInit(logger, { certificate: raTokenCert!.certificatePem, privateKey: `pkcs11:token=${TOKEN};object=ra-key;type=private?pin-value=${PIN}&module-path=${hsm!.library}` }),
          ),
        fetchTwice,
        "success",
      );
      await librarySession(
        "RolesAnywhereSession, PKCS#11 URI naming a missing key",
        (logger) => new RolesAnywhereSession(raInit(logger, { certificate: raTokenCert!.certificatePem, privateKey: `pkcs11:token=${TOKEN};object=nope?pin-value=${PIN}&module-path=${hsm!.library}` })),
        (session) => session.getCredentials(),
        "error",
      );
      corpus.assertClean(vault);
    });
  });

});

// ---------------------------------------------------------------------------
// 2. Cache, token and credentials files
// ---------------------------------------------------------------------------

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("files: modes, contents limited to what is needed, deleted by cache clear", () => {
  let filesHome: string;
  let cacheDir: string;
  const env = () => ({ HOME: filesHome });
  before(async () => {
    filesHome = join(dir, "files-home");
    cacheDir = join(filesHome, ".cache", "certcreds");
    // A cache directory someone left readable: certcreds tightens it.
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    await chmod(cacheDir, 0o755);
  });

  test("credential-process cache: directory 0700, files 0600, only the answer and its time — no key, PIN, passphrase or configuration", async () => {
    const runs = [
      raArgs(),
      iotArgs(),
      raArgs({ privateKey: files["ra-encrypted.key"]! }).concat("--pkcs8-password", PASSPHRASE),
      ...(hsm ? [[...raArgs({ certificate: files["ra-token.pem"]!, privateKey: `pkcs11:token=${TOKEN};object=ra-key;type=private?pin-value=${PIN}` }), "--pkcs11-lib", hsm.library]] : []),
    ];
    for (const args of runs) {
      const result = await runCli(["credential-process", ...args, "--debug"], { env: { ...env(), ...(hsm ? { SOFTHSM2_CONF: hsm.conf } : {}) } });
      assert.equal(result.code, 0, result.stderr);
    }
    assert.equal(modeOf(cacheDir), 0o700, "the cache directory is private");
    const names = readdirSync(cacheDir);
    assert.equal(names.length, runs.length, `one file per configuration, no lock or temporary file left: ${names.join(", ")}`);
    const configuration = [ra.trustAnchorArn, ra.profileArn, ROLE, ra.url, iot.url, ALIAS, THING, dir, TOKEN, "pkcs11", files["ra.pem"]!, raDevice.certificateDer.toString("base64").slice(0, 40)];
    for (const name of names) {
      assert.match(name, /^[0-9a-f]{64}\.json$/, "the file is named by a hash of the configuration");
      const path = join(cacheDir, name);
      assert.equal(modeOf(path), 0o600, `${name} is private`);
      const text = readFileSync(path, "utf8");
      const entry = JSON.parse(text) as { v: number; obtainedAt: number; credentials: Record<string, string> };
      assert.deepEqual(Object.keys(entry).sort(), ["credentials", "obtainedAt", "v"]);
      for (const key of Object.keys(entry.credentials)) assert.ok(["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"].includes(key), key);
      const expected = issued.get(entry.credentials.AccessKeyId!);
      assert.equal(entry.credentials.SessionToken, expected?.sessionToken, "the cache holds the credentials issued");
      for (const value of configuration) assert.ok(!text.includes(value), `${name} holds no configuration beyond its hash`);
      corpus.add(`cache file ${name}`, masked(text, [expected?.secretAccessKey, expected?.sessionToken]));
      counts.files++;
    }
    corpus.assertClean(vault);
  });

  test("serve's token file: 0600 in a 0700 directory, only the token, deleted at exit; a killed server's is deleted by cache clear", async () => {
    const served = await startServe(raArgs(), { env: env() });
    const token = await readFile(served.tokenFile, "utf8");
    vault.add("serve's container authorization token (files)", token);
    assert.equal(modeOf(served.tokenFile), 0o600);
    assert.equal(modeOf(join(served.tokenFile, "..")), 0o700);
    assert.match(token, /^[\w-]{43}$/, "the file holds the token and nothing else");
    // A server that dies without cleaning up leaves its token behind; a live one keeps its own.
    served.cli.child.kill("SIGKILL");
    await served.cli.exited;
    assert.ok(existsSync(served.tokenFile), "SIGKILL left the token file");
    const live = await startServe(raArgs(), { env: env() });
    try {
      const clear = await runCli(["cache", "clear", "--debug"], { env: env() });
      assert.equal(clear.code, 0, clear.stderr);
      corpus.add("cache clear (with token files) — stdout", clear.stdout);
      corpus.add("cache clear (with token files) — stderr", clear.stderr);
      assert.ok(!existsSync(served.tokenFile), "cache clear deleted the dead server's token file");
      assert.ok(existsSync(live.tokenFile), "cache clear kept the running server's token file");
      const answer = await http(live.containerUri, { headers: { Authorization: await readFile(live.tokenFile, "utf8") } });
      assert.equal(answer.status, 200, "the running server still serves");
    } finally {
      await live.cli.stop();
    }
    assert.ok(!existsSync(live.tokenFile), "the stopped server deleted its token file");
    corpus.assertClean(vault);
  });

  test("update: the credentials file is 0600 (also when it was 0644), a new ~/.aws is 0700, only the three keys are written", async () => {
    const awsDir = join(filesHome, ".aws");
    const fresh = await runCli(["update", ...iotArgs(), "--once"], { env: env() });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(modeOf(awsDir), 0o700);
    const file = join(awsDir, "credentials");
    assert.equal(modeOf(file), 0o600);
    await writeFile(file, "# mine\n[other]\nregion = eu-west-1\n");
    await chmod(file, 0o644);
    const again = await runCli(["update", ...raArgs(), "--once", "--profile", "work"], { env: env() });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(modeOf(file), 0o600, "a rewrite leaves the file private");
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith("# mine\n[other]\nregion = eu-west-1\n"), "other content kept byte for byte");
    const written = text.slice(text.indexOf("[work]"));
    assert.deepEqual(
      written
        .trim()
        .split("\n")
        .map((line) => line.split(" = ")[0]),
      ["[work]", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"],
    );
    const expected = issued.get(/aws_access_key_id = (\S+)/.exec(written)?.[1] ?? "");
    assert.ok(expected);
    corpus.add("update's credentials file", masked(text, [expected.secretAccessKey, expected.sessionToken]));
    counts.files++;
    corpus.assertClean(vault);
  });

  test("serve --token-file in a shared directory: the file is 0600, the directory is left as it was", async () => {
    const shared = join(dir, "shared");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const served = await startServe([...raArgs(), "--token-file", join(shared, "serve.token")], { env: env() });
    try {
      assert.equal(served.tokenFile, join(shared, "serve.token"));
      assert.equal(modeOf(served.tokenFile), 0o600);
      assert.equal(statSync(shared).mode & 0o7777, 0o1777, "a shared (sticky, world-writable) directory is not re-moded");
    } finally {
      await served.cli.stop();
    }
    assert.ok(!existsSync(join(shared, "serve.token")));
  });

  test("cache clear deletes every file certcreds wrote (answers, locks, temporary files, dead servers' tokens) and nothing else", async () => {
    const cached = await runCli(["credential-process", ...raArgs()], { env: env() });
    assert.equal(cached.code, 0, cached.stderr);
    const hash = "a".repeat(64);
    await writeFile(join(cacheDir, `${hash}.json.lock`), JSON.stringify({ pid: 999_999, host: "elsewhere", at: 0 }), { mode: 0o600 });
    await writeFile(join(cacheDir, `.${hash}.json.1234.abcd.tmp`), "{}", { mode: 0o600 });
    await writeFile(join(cacheDir, "serve-999999.token"), "x".repeat(43), { mode: 0o600 });
    await writeFile(join(cacheDir, "notes.txt"), "not ours");
    assert.ok(readdirSync(cacheDir).some((name) => name.endsWith(".json")), "answers are cached");
    const clear = await runCli(["cache", "clear"], { env: env() });
    assert.equal(clear.code, 0, clear.stderr);
    assert.deepEqual(readdirSync(cacheDir), ["notes.txt"], "only the file certcreds did not write is left");
  });
});

// ---------------------------------------------------------------------------
// 3. serve: what test/cli-serve.test.ts does not already check
// ---------------------------------------------------------------------------

describe("serve hygiene", () => {
  let served: Served;
  let token: string;
  let serveHome: string;
  before(async () => {
    serveHome = join(dir, "serve-home");
    await mkdir(serveHome, { mode: 0o700 });
    served = await startServe([...raArgs(), "--debug"], { env: { HOME: serveHome } });
    token = await readFile(served.tokenFile, "utf8");
    vault.add("serve's container authorization token (hygiene)", token);
  });
  after(async () => {
    const stopped = await served?.cli.stop();
    if (stopped) {
      corpus.add("serve (hygiene) — stderr", stopped.stderr);
      corpus.assertClean(vault);
    }
  });

  test("loopback by default: not reachable on this host's other addresses", async (t) => {
    assert.equal(new URL(served.imdsEndpoint).hostname, "127.0.0.1");
    const port = Number(new URL(served.imdsEndpoint).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === "IPv4")
      .map((address) => address!.address);
    if (external.length === 0) {
      t.skip("this host has no non-loopback IPv4 address to try");
      return;
    }
    for (const address of external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port, timeout: 2000 }, () => {
          socket.destroy();
          resolve("connected");
        });
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
        socket.on("timeout", () => {
          socket.destroy();
          resolve("timeout");
        });
      });
      assert.notEqual(outcome, "connected", `serve must not be reachable on ${address}`);
    }
  });

  test("tokens are compared in constant time: crypto.timingSafeEqual on equal-length digests, whatever the length given", async () => {
    const require = createRequire(import.meta.url);
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const original = crypto.timingSafeEqual;
    const calls: [number, number][] = [];
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([a.byteLength, b.byteLength]);
      return original(a, b);
    }) as typeof original;
    syncBuiltinESMExports();
    const { createCredentialServer } = await import("../src/surfaces/local-endpoint/credential-server.js");
    const session = new RolesAnywhereSession({
      certificate: files["ra.pem"]!,
      certificateChain: files["chain.pem"]!,
      privateKey: files["ra.key"]!,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ROLE,
      endpoint: ra.url,
    });
    const secret = randomBytes(32).toString("base64url");
    vault.add("an in-process server's token", secret);
    const server = createCredentialServer({ supplier: session, roleName: "r", authorizationToken: secret, loopbackOnly: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const wrong = Array.from({ length: 97 }, (_, length) => randomBytes(length).toString("base64url").slice(0, length));
      wrong.push(`${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, secret.slice(0, -1), `${secret}A`, secret.toUpperCase(), `${secret}${secret}`);
      calls.length = 0;
      for (const candidate of wrong) {
        const answer = await http(`${base}/credentials`, { headers: { Authorization: candidate } });
        assert.equal(answer.status, 401, `a wrong token of ${candidate.length} characters is refused`);
      }
      assert.ok(calls.length >= wrong.filter(Boolean).length, `every non-empty wrong token went through timingSafeEqual (${calls.length} calls for ${wrong.length} tokens)`);
      assert.ok(
        calls.every(([a, b]) => a === b && a === 32),
        "timingSafeEqual always compares two SHA-256 digests, so the length given changes nothing",
      );
      const right = await http(`${base}/credentials`, { headers: { Authorization: secret } });
      assert.equal(right.status, 200);
      // IMDSv2 tokens: the MAC is compared the same way.
      calls.length = 0;
      const imdsToken = (await http(`${base}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } })).body;
      const [expiry, mac] = imdsToken.split(".");
      for (const forged of [`${expiry}.`, `${expiry}.${mac!.slice(1)}`, `${expiry}.${mac}x`, `${expiry}.${"A".repeat(mac!.length)}`]) {
        assert.equal((await http(`${base}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": forged } })).status, 401);
      }
      assert.equal(calls.length, 4);
      assert.ok(calls.every(([a, b]) => a === b));
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
      server.close();
      server.closeAllConnections();
      await session.close();
    }
  });

  test("the real server refuses wrong container tokens of every length, and forged IMDSv2 tokens", async () => {
    const candidates = new Set<string>();
    for (let length = 0; length <= 100; length++) candidates.add(randomBytes(length).toString("base64url").slice(0, length));
    for (let i = 0; i < token.length; i += 7) candidates.add(`${token.slice(0, i)}${token[i] === "A" ? "B" : "A"}${token.slice(i + 1)}`);
    for (const variant of [token.slice(0, -1), `${token}=`, token.toUpperCase(), token.toLowerCase(), `Bearer ${token}`, `${token},${token}`, token.split("").reverse().join("")]) {
      candidates.add(variant);
    }
    candidates.delete(token);
    const answers = await Promise.all([...candidates].map((candidate) => http(served.containerUri, { headers: { Authorization: candidate } })));
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.status, 401, `wrong token ${i} is refused`);
      recordAnswer(`serve hygiene: wrong token ${i}`, answer);
    }
    const put = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    vault.add("an IMDSv2 session token (hygiene)", put.body);
    const [expiry, mac] = put.body.split(".");
    const forged = [`${Number(expiry) + 3600}.${mac}`, `${expiry}.${mac!.slice(0, -1)}`, `${expiry}.${"A".repeat(mac!.length)}`, mac!, `${expiry}`, `.${mac}`, "x".repeat(129)];
    for (const value of forged) {
      const answer = await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": value } });
      assert.equal(answer.status, 401, "a forged IMDSv2 token is refused");
    }
    corpus.assertClean(vault);
  });

  test("request size and header limits: bodies refused (Content-Length or chunked, any method), headers over 8 KiB refused", async () => {
    const chunked = await http(served.containerUri, { method: "GET", headers: { Authorization: token, "Transfer-Encoding": "chunked" }, body: "hello" });
    assert.equal(chunked.status, 413);
    const tokenWithBody = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60", "Content-Length": "2" }, body: "{}" });
    assert.equal(tokenWithBody.status, 413, "a token request with a body is refused, so no token is handed out");
    assert.ok(!/^\d+\./.test(tokenWithBody.body));
    const justUnder = await http(`${served.imdsEndpoint}/healthz`, { headers: { "X-Padding": "a".repeat(6 * 1024) } });
    assert.equal(justUnder.status, 200);
    for (const request of [
      { path: "/healthz", headers: { "X-Padding": "a".repeat(9 * 1024) } },
      { path: `/healthz?${"q".repeat(9 * 1024)}`, headers: {} },
      { path: "/credentials", headers: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`X-H${i}`, "v".repeat(30)])) },
    ]) {
      const answer = await http(`${served.imdsEndpoint}${request.path}`, { headers: { Authorization: token, ...request.headers } }).catch((error: Error) => error);
      assert.ok(answer instanceof Error || answer.status === 431, `oversized request refused (${answer instanceof Error ? answer.message : answer.status})`);
      if (!(answer instanceof Error)) recordAnswer("serve hygiene: oversized request", answer);
    }
  });

  test("no CORS headers on any answer, OPTIONS preflights included", async () => {
    const paths = ["/credentials", "/latest/api/token", "/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials/hygiene-role", "/healthz", "/"];
    const preflight = { Origin: "http://evil.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, x-aws-ec2-metadata-token" };
    for (const path of paths) {
      for (const method of ["OPTIONS", "GET", "PUT", "POST", "DELETE", "HEAD"]) {
        const answer = await http(`${served.imdsEndpoint}${path}`, { method, headers: { ...preflight, Authorization: token, "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
        // The authorised answers hold what they exist to hand out: credentials, an IMDSv2 token.
        const allowed: (string | undefined)[] = [token];
        if (answer.status === 200 && path === "/credentials" && method === "GET") {
          const body = JSON.parse(answer.body) as { SecretAccessKey: string; Token: string };
          allowed.push(body.SecretAccessKey, body.Token);
        }
        if (answer.status === 200 && path === "/latest/api/token") {
          vault.add("an IMDSv2 session token (hygiene)", answer.body);
          allowed.push(answer.body);
        }
        recordAnswer(`serve hygiene: ${method} ${path} from another origin`, answer, allowed);
        if (method === "OPTIONS") assert.ok(answer.status >= 400, `a preflight of ${path} is not approved (${answer.status})`);
      }
    }
    corpus.assertClean(vault);
  });

  test("X-Forwarded-For is refused on token requests, whatever its spelling or value", async () => {
    for (const header of ["X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR"]) {
      for (const value of ["203.0.113.9", "127.0.0.1", "", "10.0.0.1, 127.0.0.1"]) {
        const answer = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60", [header]: value } });
        assert.equal(answer.status, 403, `${header}: "${value}" refused`);
        assert.ok(!/^\d+\./.test(answer.body), "no token in the refusal");
      }
    }
  });

  test("/healthz reveals no secret, whether credentials are held or not", async () => {
    const container = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body) as { AccessKeyId: string };
    const healthy = recordAnswer("serve hygiene: /healthz", await http(`${served.imdsEndpoint}/healthz`));
    assert.equal(healthy.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(healthy.body)).sort(), ["expiration", "status"]);
    assert.ok(!healthy.body.includes(container.AccessKeyId), "not even the access key id");
    assert.equal(healthy.headers["set-cookie"], undefined);
    // A server that could not get credentials yet.
    ra.inject({ status: 500, errorType: "InternalServerException", times: 3 });
    const failing = await startServe([...raArgs(), "--debug"], { env: { HOME: serveHome } });
    try {
      const unhealthy = recordAnswer("serve hygiene: /healthz without credentials", await http(`${failing.imdsEndpoint}/healthz`));
      assert.equal(unhealthy.status, 503);
      assert.deepEqual(JSON.parse(unhealthy.body), { status: "no valid credentials" });
    } finally {
      ra.clearFaults();
      const stopped = await failing.cli.stop();
      corpus.add("serve without credentials — stderr", stopped.stderr);
    }
    corpus.assertClean(vault);
  });
});

// ---------------------------------------------------------------------------
// 4. Supply chain
// ---------------------------------------------------------------------------

describe("supply chain: a lockfile, and no install scripts in the runtime dependency tree but the PKCS#11 binding's", () => {
  interface LockedPackage {
    version?: string;
    dev?: boolean;
    optional?: boolean;
    hasInstallScript?: boolean;
    resolved?: string;
    integrity?: string;
    link?: boolean;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };

  /** Where npm would find `name` for the package at `from`: its own node_modules, then each ancestor's. */
  function resolveIn(packages: Record<string, LockedPackage>, from: string, name: string): string | undefined {
    for (let base = from; ; base = base.includes("/node_modules/") ? base.slice(0, base.lastIndexOf("/node_modules/")) : "") {
      const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === "") return undefined;
    }
  }

  test("package-lock.json exists, is lockfileVersion 3, and pins every runtime package with an integrity hash", () => {
    const path = join(ROOT, "package-lock.json");
    assert.ok(existsSync(path), "package-lock.json is committed");
    const lock = JSON.parse(readFileSync(path, "utf8")) as { lockfileVersion: number; packages: Record<string, LockedPackage> };
    assert.ok(lock.lockfileVersion >= 2, "a lockfile with the packages map (npm 7+)");
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || entry.dev || entry.link) continue;
      assert.match(entry.integrity ?? "", /^sha512-/, `${path} is pinned by a sha512 integrity hash`);
    }
  });

  test("walking the runtime tree from package.json: install scripts only in pkcs11js, and aws-crt's is denied in allowScripts", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockedPackage> };
    const root = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    const runtime = new Set<string>();
    const queue: [string, string][] = Object.keys(root).map((name) => ["", name]);
    const missing: string[] = [];
    while (queue.length > 0) {
      const [from, name] = queue.shift()!;
      const found = resolveIn(lock.packages, from, name);
      if (!found) {
        // An optional dependency for another platform may be absent from the lock.
        missing.push(`${from || "(root)"} → ${name}`);
        continue;
      }
      if (runtime.has(found)) continue;
      runtime.add(found);
      const entry = lock.packages[found]!;
      for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) queue.push([found, dependency]);
    }
    assert.ok(runtime.has("node_modules/@smithy/types"), "the walk found the runtime dependencies");
    const withScripts = [...runtime].filter((path) => lock.packages[path]!.hasInstallScript).map((path) => path.slice(path.lastIndexOf("node_modules/") + 13));
    const allowed = (name: string) => name === "pkcs11js" || (name === "aws-crt" && manifest.allowScripts?.["aws-crt"] === false);
    assert.deepEqual(
      withScripts.filter((name) => !allowed(name)),
      [],
      `runtime packages with install scripts (missing in the lock: ${missing.join(", ") || "none"})`,
    );
    // The lock's own dev flags agree: nothing outside the walk is runtime.
    const flagged = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== "" && !entry.dev && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + 13));
    assert.deepEqual(flagged.filter((name) => !allowed(name)), []);
    assert.equal(manifest.allowScripts?.pkcs11js, true, "the PKCS#11 binding's build is the one allowed script");
  });
});

// ---------------------------------------------------------------------------
// The whole corpus, once every section has added to it
// ---------------------------------------------------------------------------

describe("the whole corpus", () => {
  test("the search finds planted leaks in every form, and does not mistake public material for a secret", () => {
    const probe = new Corpus();
    const [credentials] = issued.values();
    assert.ok(credentials, "credentials were issued");
    const pemLine = pemBody(raDevice.privateKeyPem)[1]!;
    const der = thing.privateKey.export({ type: "pkcs8", format: "der" });
    const d = (raExpired.privateKey!.export({ format: "jwk" }) as { d: string }).d;
    const planted: [string, string][] = [
      ["part of a PEM line", `key: ${pemLine.slice(3, 25)}…`],
      // Bytes 350–380 of an RSA-2048 PKCS#8 key: inside the private exponent (bytes 100–130 would be the public modulus).
      ["the DER in upper-case hex", `dump ${der.toString("hex").toUpperCase().slice(700, 760)}`],
      ["the private scalar", `d=${d}`],
      ["a passphrase word", `argument "${PASSPHRASE_WORDS[1]}"`],
      ["the PIN", `login with ${PIN} failed`],
      ["a slice of a secret access key", `secret ${credentials.secretAccessKey.slice(4, 24)}`],
      ["a slice of a session token", `token …${credentials.sessionToken.slice(100, 130)}…`],
      ["a PEM block of another key", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()],
    ];
    for (const [where, text] of planted) probe.add(where, text);
    const error = (() => {
      try {
        probe.assertClean(vault);
        return undefined;
      } catch (caught) {
        return caught as assert.AssertionError;
      }
    })();
    assert.ok(error, "planted leaks are found");
    const found = (error.actual as string[]).map((line) => line.split(":")[0]);
    assert.deepEqual([...new Set(found)].sort(), planted.map(([where]) => where).sort(), "every planted leak, and only those");
    assert.ok(!String(error.message).includes(pemLine.slice(3, 25)) && !(error.actual as string[]).join().includes(credentials.secretAccessKey.slice(4, 24)), "the report names secrets, never shows them");
    // Public material: certificates and public keys in every form, as read-certificate-data and doctor print them.
    const clean = new Corpus();
    for (const certificate of [raDevice, thing, raExpired, thingExpired]) {
      clean.add("certificate PEM", certificate.certificatePem);
      clean.add("certificate base64", certificate.certificateDer.toString("base64"));
      clean.add("certificate hex", certificate.certificateDer.toString("hex"));
    }
    for (const key of [raDevice.privateKey, thing.privateKey]) clean.add("public key", createPublicKey(key).export({ type: "spki", format: "pem" }).toString());
    clean.add("an access key id", credentials.accessKeyId);
    assert.equal(clean.assertClean(vault), clean.entries.length, "public material is not mistaken for a secret");
  });

  test("every text against every secret", (t) => {
    const texts = corpus.assertClean(vault, true);
    const probes = vault.probes().length;
    t.diagnostic(
      `${texts} texts (${corpus.characters} characters) from ${counts.cliRuns} CLI runs, ${counts.httpAnswers} HTTP answers, ${counts.logRecords} log records, ${counts.errors} errors with their causes, ${counts.sessions} sessions and providers, ${counts.files} files`,
    );
    t.diagnostic(`${vault.count} secret values searched (${probes} probes: whole values and 16-character windows)`);
    assert.ok(texts > 300 && vault.count > 50, "the harness saw enough to mean something");
    for (const key of ["the Roles Anywhere device key", "the thing's key", "the expired Roles Anywhere certificate's key", "the expired thing certificate's key", "a stranger key"]) {
      assert.ok(vault.probeCount(key) > 30, `${key} is searched for by enough distinctive probes (${vault.probeCount(key)})`);
    }
  });
});
