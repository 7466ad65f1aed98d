/**
 * What the hygiene tests (test/hygiene/) run against: a PKI with expired
 * certificates, encrypted and PKCS#1 keys and a stranger key, key files on
 * disk, the Roles Anywhere and IoT emulators sharing one store of everything
 * issued, a SoftHSM2 token when asked for and installed, and the
 * {@link LeakScan} that knows every secret among them. Each hygiene file
 * creates its own world in `before` (secrets differ from file to file).
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { before, describe } from "node:test";
import { join } from "node:path";
import type { CredentialSession, IotSessionInit, RolesAnywhereSessionInit } from "../../src/index.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type IssuedCredentials,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../testing/index.js";
import { type CliResult, parseProcessOutput, requireBuild, runCli } from "./cli.js";
import { CapturingLogger } from "./log-capture.js";
import { fieldTexts, jsonLogLines } from "./log-lines.js";
import { LeakScan, masked, type PlantedLeakSample } from "./secret-scan.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "./softhsm.js";

export const ROLE = "arn:aws:iam::123456789012:role/hygiene-role";
export const IOT_ROLE = "arn:aws:iam::123456789012:role/hygiene-iot-role";
export const THING = "hygiene-thing";
export const ALIAS = "hygiene-alias";
export const TOKEN = "hygiene-token";
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
export const PASSPHRASE_WORDS = [`correct-${hex(6)}`, `horse${hex(12)}`];
export const PASSPHRASE = PASSPHRASE_WORDS.join(" ");
export const WRONG_PASSPHRASE = `wrong-passphrase-${hex(8)}`;
export const PIN = `pin${hex(6)}`;
export const WRONG_PIN = `nip${hex(6)}`;
/** A PIN a user may type where none belongs (after --reuse-pin). */
export const STRAY_PIN = `${randomBytes(6).readUIntBE(0, 6)}`.padStart(12, "7");
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The vault labels of the keys every world holds. */
export const WORLD_KEYS = [
  "the Roles Anywhere device key",
  "the thing's key",
  "the expired Roles Anywhere certificate's key",
  "the expired thing certificate's key",
  "a stranger key",
];

/** Why the PKCS#11 parts cannot run here, or undefined. */
export const pkcs11Unavailable = softHsmUnavailable();

type Issued = TestCertificate & { privateKeyPem: string; privateKey: KeyObject };

export type MechanismName = "Roles Anywhere" | "IoT";
export const MECHANISM_NAMES: MechanismName[] = ["Roles Anywhere", "IoT"];

/** A mechanism, as the CLI tests drive it. */
export interface Mechanism {
  name: MechanismName;
  args(o?: { certificate?: string; privateKey?: string }): string[];
  files: { expiredCertificate: string; expiredKey: string; encryptedKey: string };
  /** Queues the mechanism's "access denied" answer, a run of 500s and a run of 429s. */
  denied(): void;
  failing(times: number): void;
  throttled(times: number): void;
}

export interface CliOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  /** The expected exit code. */
  code?: number;
  /** Standard output is credential-process's JSON: check it, then mask the credentials. */
  processJson?: boolean;
}

/**
 * Declares a hygiene suite once per standard-error format: `body` runs inside a describe whose tests see
 * `world().logFormat` set to it (each of those CLI runs then searched for every secret in that format).
 */
export function describeInBothLogFormats(
  world: () => HygieneWorld,
  body: () => void,
  subject = "secret hygiene: no key, PIN, passphrase, secret key or token in anything shown",
  options: { skip?: string | boolean } = {},
): void {
  for (const format of ["text", "json"] as const) {
    describe(`${subject} (stderr as ${format})`, options, () => {
      before(() => {
        world().logFormat = format;
      });
      body();
    });
  }
}

export class HygieneWorld {
  readonly issued = new IssuedCredentialStore();
  readonly scan = new LeakScan(this.issued);
  readonly files: Record<string, string> = {};
  dir!: string;
  home!: string;
  hsm: SoftHsm | undefined;
  ra!: RolesAnywhereEmulator;
  iot!: IotCredentialEmulator;
  raRoot!: TestCertificateAuthority;
  raIssuing!: TestCertificateAuthority;
  iotServerCa!: TestCertificateAuthority;
  raDevice!: Issued;
  thing!: Issued;
  raExpired!: TestCertificate & { privateKeyPem: string };
  thingExpired!: TestCertificate & { privateKeyPem: string };
  stranger!: KeyObject;
  raEncryptedPem!: string;
  thingEncryptedPem!: string;
  thingPkcs1Pem!: string;
  raTokenCert: TestCertificate | undefined;
  iotTokenCert: TestCertificate | undefined;
  /** How the CLI runs of {@link cli} write standard error: the hygiene files run their CLI tests in both formats. */
  logFormat: "text" | "json" = "text";

  private constructor() {}

  /** Builds the world; with `pkcs11` (and SoftHSM2 installed) a token holding a Roles Anywhere and an IoT key. */
  static async create(options: { pkcs11?: boolean } = {}): Promise<HygieneWorld> {
    const w = new HygieneWorld();
    await requireBuild();
    w.dir = await mkdtemp(join(tmpdir(), "certcreds-hygiene-"));
    w.home = join(w.dir, "home");
    await mkdir(w.home, { mode: 0o700 });
    // SoftHSM2 lists its tokens once per process: create them before any PKCS#11 use.
    if (options.pkcs11 && !pkcs11Unavailable) w.hsm = await createSoftHsm([{ label: TOKEN, pin: PIN }]);

    w.raRoot = await createTestCertificateAuthority({ commonName: "hygiene RA root" });
    w.raIssuing = await w.raRoot.createIntermediate({ commonName: "hygiene RA issuing CA" });
    w.raDevice = (await w.raIssuing.issue({ commonName: "hygiene-ra-device", keyType: "ec-p256" })) as Issued;
    const now = Date.now();
    w.raExpired = (await w.raIssuing.issue({
      commonName: "hygiene-ra-expired",
      keyType: "ec-p384",
      notBefore: new Date(now - 3 * DAY),
      notAfter: new Date(now - DAY),
    })) as typeof w.raExpired;
    w.iotServerCa = await createTestCertificateAuthority({ commonName: "hygiene IoT endpoint CA" });
    const iotServer = await w.iotServerCa.issue({
      commonName: "localhost",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      extendedKeyUsage: ["serverAuth"],
    });
    const iotDeviceCa = await createTestCertificateAuthority({ commonName: "hygiene IoT device CA", keyType: "rsa-2048" });
    w.thing = (await iotDeviceCa.issue({ commonName: THING, keyType: "rsa-2048", extendedKeyUsage: ["clientAuth"] })) as Issued;
    w.thingExpired = (await iotDeviceCa.issue({
      commonName: THING,
      keyType: "ec-p256",
      extendedKeyUsage: ["clientAuth"],
      notBefore: new Date(now - 3 * DAY),
      notAfter: new Date(now - DAY),
    })) as typeof w.thingExpired;
    w.stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    w.raEncryptedPem = w.raDevice.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE }).toString();
    w.thingEncryptedPem = w.thing.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE }).toString();
    w.thingPkcs1Pem = w.thing.privateKey.export({ type: "pkcs1", format: "pem" }).toString();

    const thingCertificates = [w.thing.certificatePem, w.thingExpired.certificatePem];
    if (w.hsm) {
      w.raTokenCert = await w.raIssuing.issue({
        commonName: "hygiene-ra-token",
        publicKey: await w.hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "ra-key" }),
      });
      await w.hsm.writeCertificate(TOKEN, w.raTokenCert.certificateDer, { id: "01", label: "ra-key" });
      w.iotTokenCert = await iotDeviceCa.issue({
        commonName: THING,
        publicKey: await w.hsm.generateKey(TOKEN, "ec-p256", { id: "02", label: "iot-key" }),
        extendedKeyUsage: ["clientAuth"],
      });
      thingCertificates.push(w.iotTokenCert.certificatePem);
    }

    w.ra = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [w.raRoot.certificatePem] }],
      profiles: [{ roleArns: [ROLE], durationSeconds: 3600 }],
      issued: w.issued,
    });
    w.iot = await startIotCredentialEmulator({
      serverCertificate: { cert: iotServer.certificatePem, key: iotServer.privateKeyPem! },
      registeredCas: [iotDeviceCa.certificatePem],
      things: [{ name: THING, certificates: thingCertificates }],
      roleAliases: [{ alias: ALIAS, roleArn: IOT_ROLE }],
      issued: w.issued,
    });

    const write = async (name: string, content: string, mode = 0o644) => {
      w.files[name] = join(w.dir, name);
      await writeFile(w.files[name]!, content, { mode });
    };
    await write("ra.pem", w.raDevice.certificatePem);
    await write("ra.key", w.raDevice.privateKeyPem, 0o600);
    await write("ra-encrypted.key", w.raEncryptedPem, 0o600);
    await write("chain.pem", w.raIssuing.certificatePem);
    await write("ra-expired.pem", w.raExpired.certificatePem);
    await write("ra-expired.key", w.raExpired.privateKeyPem, 0o600);
    await write("stranger.key", w.stranger.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
    await write("thing.pem", w.thing.certificatePem);
    await write("thing.key", w.thingPkcs1Pem, 0o600);
    await write("thing-encrypted.key", w.thingEncryptedPem, 0o600);
    await write("thing-expired.pem", w.thingExpired.certificatePem);
    await write("thing-expired.key", w.thingExpired.privateKeyPem, 0o600);
    await write("iot-ca.pem", w.iotServerCa.certificatePem);
    if (w.raTokenCert) await write("ra-token.pem", w.raTokenCert.certificatePem);
    if (w.iotTokenCert) await write("iot-token.pem", w.iotTokenCert.certificatePem);

    const { vault } = w.scan;
    vault.addKey("the Roles Anywhere device key", w.raDevice.privateKey, [w.raDevice.privateKeyPem, w.raEncryptedPem]);
    vault.addKey("the expired Roles Anywhere certificate's key", w.raExpired.privateKey!, [w.raExpired.privateKeyPem]);
    vault.addKey("the thing's key", w.thing.privateKey, [w.thing.privateKeyPem, w.thingPkcs1Pem, w.thingEncryptedPem]);
    vault.addKey("the expired thing certificate's key", w.thingExpired.privateKey!, [w.thingExpired.privateKeyPem]);
    vault.addKey("a stranger key", w.stranger);
    for (const certificate of [
      w.raRoot,
      w.raIssuing,
      w.raDevice,
      w.raExpired,
      w.iotServerCa,
      iotDeviceCa,
      w.thing,
      w.thingExpired,
      iotServer,
      w.raTokenCert,
      w.iotTokenCert,
    ]) {
      if (certificate) vault.addCertificate(certificate.certificatePem);
    }
    vault.add("the passphrase", PASSPHRASE);
    for (const word of PASSPHRASE_WORDS) vault.add("a word of the passphrase", word);
    vault.add("a wrong passphrase", WRONG_PASSPHRASE);
    vault.add("the PIN", PIN);
    vault.add("a wrong PIN", WRONG_PIN);
    vault.add("a PIN typed after --reuse-pin", STRAY_PIN);
    return w;
  }

  async close(): Promise<void> {
    await Promise.all([this.ra?.close(), this.iot?.close()]);
    await this.hsm?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  raArgs(o: { certificate?: string; privateKey?: string } = {}): string[] {
    return [
      "--certificate",
      o.certificate ?? this.files["ra.pem"]!,
      "--private-key",
      o.privateKey ?? this.files["ra.key"]!,
      "--intermediates",
      this.files["chain.pem"]!,
      "--trust-anchor-arn",
      this.ra.trustAnchorArn,
      "--profile-arn",
      this.ra.profileArn,
      "--role-arn",
      ROLE,
      "--endpoint",
      this.ra.url,
    ];
  }

  iotArgs(o: { certificate?: string; privateKey?: string } = {}): string[] {
    return [
      "--certificate",
      o.certificate ?? this.files["thing.pem"]!,
      "--private-key",
      o.privateKey ?? this.files["thing.key"]!,
      "--role-alias",
      ALIAS,
      "--thing-name",
      THING,
      "--endpoint",
      this.iot.url,
      "--ca-cert",
      this.files["iot-ca.pem"]!,
    ];
  }

  mechanism(name: MechanismName): Mechanism {
    if (name === "Roles Anywhere") {
      return {
        name,
        args: (o) => this.raArgs(o),
        files: { expiredCertificate: this.files["ra-expired.pem"]!, expiredKey: this.files["ra-expired.key"]!, encryptedKey: this.files["ra-encrypted.key"]! },
        denied: () => this.ra.inject({ status: 403, errorType: "AccessDeniedException", message: "Untrusted signing certificate" }),
        failing: (times) => this.ra.inject({ status: 500, errorType: "InternalServerException", times }),
        throttled: (times) => this.ra.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times }),
      };
    }
    return {
      name,
      args: (o) => this.iotArgs(o),
      files: {
        expiredCertificate: this.files["thing-expired.pem"]!,
        expiredKey: this.files["thing-expired.key"]!,
        encryptedKey: this.files["thing-encrypted.key"]!,
      },
      denied: () => this.iot.inject({ status: 403, message: "Access Denied" }),
      failing: (times) => this.iot.inject({ status: 500, times }),
      throttled: (times) => this.iot.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times }),
    };
  }

  /** Runs the built CLI in the world's HOME and records both outputs. */
  async cli(where: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
    const env: Record<string, string> = { HOME: this.home, ...(this.hsm ? { SOFTHSM2_CONF: this.hsm.conf } : {}), ...options.env };
    const result = await runCli(this.withLogFormat(args), { env, ...(options.input !== undefined ? { input: options.input } : {}), timeoutMs: 45_000 });
    this.scan.counts.cliRuns++;
    if (options.code !== undefined) assert.equal(result.code, options.code, `${where}: exit code (stderr: ${result.stderr})`);
    let stdout: string | Buffer = result.stdout;
    if (options.processJson && result.code === 0) {
      const answer = parseProcessOutput(result.stdout);
      const expected = this.issued.get(answer.AccessKeyId);
      assert.ok(expected, `${where}: the credentials were issued by an emulator`);
      assert.equal(answer.SecretAccessKey, expected.secretAccessKey);
      assert.equal(answer.SessionToken, expected.sessionToken);
      stdout = masked(result.stdout, [answer.SecretAccessKey, answer.SessionToken]);
    } else if (result.stdoutBytes.includes(0) || !result.stdoutBytes.equals(Buffer.from(result.stdout, "utf8"))) {
      stdout = result.stdoutBytes;
    }
    this.scan.corpus.add(`${where} — stdout`, stdout);
    this.recordStderr(where, result.stderr);
    return result;
  }

  /** A command line in the world's log format (`--log-format json` last, where every command takes it). */
  withLogFormat(args: string[]): string[] {
    return this.logFormat === "json" ? [...args, "--log-format", "json"] : args;
  }

  /**
   * Records a run's standard error. JSON: every line must be a log object
   * (time, level, event, message), and each field is searched on its own as
   * well. Text: the fields the library passes its logger are not printed.
   */
  recordStderr(where: string, stderr: string): void {
    const label = `${where}${this.logFormat === "json" ? " (--log-format json)" : ""}`;
    this.scan.corpus.add(`${label} — stderr`, stderr);
    if (this.logFormat === "text") {
      assert.doesNotMatch(stderr, /\{ event: '/, `${label}: no fields object printed in text mode`);
      return;
    }
    for (const { field, text } of fieldTexts(jsonLogLines(stderr, label))) this.scan.corpus.add(`${label} — stderr ${field}`, text);
  }

  /** A HOME under the world's directory whose cache directory someone left readable (certcreds tightens it). */
  async looseCacheHome(name: string): Promise<{ home: string; cacheDir: string }> {
    const home = join(this.dir, name);
    const cacheDir = join(home, ".cache", "certcreds");
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    await chmod(cacheDir, 0o755);
    return { home, cacheDir };
  }

  raInit(logger: CapturingLogger, extra: Partial<RolesAnywhereSessionInit> = {}): RolesAnywhereSessionInit {
    return {
      certificate: this.files["ra.pem"]!,
      certificateChain: this.files["chain.pem"]!,
      privateKey: this.files["ra.key"]!,
      trustAnchorArn: this.ra.trustAnchorArn,
      profileArn: this.ra.profileArn,
      roleArn: ROLE,
      endpoint: this.ra.url,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger,
      ...extra,
    };
  }

  iotInit(logger: CapturingLogger, extra: Partial<IotSessionInit> = {}): IotSessionInit {
    return {
      endpoint: this.iot.url,
      roleAlias: ALIAS,
      thingName: THING,
      certificate: this.files["thing.pem"]!,
      privateKey: this.files["thing.key"]!,
      ca: this.iotServerCa.certificatePem,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger,
      logLevel: "trace",
      ...extra,
    };
  }

  /** Credentials, the cached ones again, then a forced refresh. */
  readonly fetchTwice = async (session: CredentialSession) => {
    const first = await session.getCredentials();
    assert.equal(first.sessionToken, this.issued.get(first.accessKeyId)?.sessionToken);
    await session.getCredentials();
    return session.getCredentials({ forceRefresh: true });
  };

  /** Runs a library session: `run` uses it, then its log, errors, JSON and inspection are recorded. */
  async librarySession(
    where: string,
    create: (logger: CapturingLogger) => CredentialSession,
    run: (session: CredentialSession) => Promise<unknown>,
    expect: "success" | "error",
  ): Promise<unknown> {
    const logger = new CapturingLogger();
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
    if (error !== undefined) this.scan.error(where, error);
    if (session) {
      this.scan.session(where, session);
      await session.close();
    }
    this.scan.logger(where, logger);
    return error ?? value;
  }

  /** What the scanner's self-check plants: the world's keys, secrets and credentials (one set is issued if none was yet). */
  plantedLeakSample(): PlantedLeakSample {
    const [issued] = this.issued.values();
    const credentials: IssuedCredentials =
      issued ??
      this.issued.issue({ accountId: "123456789012", roleArn: ROLE, roleSessionName: "hygiene-self-check", expiration: new Date(Date.now() + 3_600_000) });
    return {
      pemKey: this.raDevice.privateKeyPem,
      rsaKey: this.thing.privateKey,
      ecKey: this.raExpired.privateKey!,
      passphraseWord: PASSPHRASE_WORDS[1]!,
      pin: PIN,
      credentials,
      certificates: [this.raDevice, this.thing, this.raExpired, this.thingExpired],
      publicKeysOf: [this.raDevice.privateKey, this.thing.privateKey],
    };
  }
}
