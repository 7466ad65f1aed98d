/**
 * The secret-leak scanner of the hygiene tests (test/hygiene/): every text a
 * person or a log could see — standard output and error, log records, error
 * messages, stacks, cause chains, util.inspect and JSON of errors, sessions
 * and providers, HTTP answers, files — is searched for every secret used or
 * issued: private keys (PEM lines, DER as base64 and hex, the private
 * numbers), passphrases, PINs, secret access keys, session tokens and serve's
 * tokens, whole and by distinctive 16-character windows. Only the texts
 * whose job it is may hold credentials (credential-process's JSON, the
 * credentials file update writes, the credentials cache, serve's answers to
 * an authorised client): those are checked for shape, then scanned with the
 * credentials masked.
 *
 * Each hygiene file builds its own {@link LeakScan} (its secrets and the texts
 * it recorded), checks what each test recorded at the test's end, and closes
 * with {@link describeCorpusChecks}: every text against every secret known by
 * then, and the self-check that plants leaks and proves the search finds them.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, type KeyObject, X509Certificate } from "node:crypto";
import { describe, type TestContext, test } from "node:test";
import { format, inspect } from "node:util";
import type { CredentialSession } from "../../src/index.js";
import type { IssuedCredentials, IssuedCredentialStore } from "../../testing/index.js";
import type { HttpAnswer } from "./cli.js";
import type { CapturingLogger } from "./log-capture.js";

const WINDOW = 16;

/** The base64 body lines of a PEM block. */
export function pemBody(pem: string): string[] {
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
export class SecretVault {
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
    this.addPublic(
      publicKey.export({ type: "spki", format: "pem" }).toString(),
      spki.toString("base64"),
      spki.toString("hex"),
      JSON.stringify(publicKey.export({ format: "jwk" })),
    );
    const twin = twinOf(key);
    const twinDer = twin.export({ type: "pkcs8", format: "der" });
    this.addPublic(
      twin.export({ type: "pkcs8", format: "pem" }).toString(),
      twinDer.toString("base64"),
      twinDer.toString("hex"),
      twinDer.toString("hex").toUpperCase(),
    );
    for (const given of givenPems) if (given.includes("RSA PRIVATE KEY")) this.addPublic(twin.export({ type: "pkcs1", format: "pem" }).toString());
  }

  private all(): [string, string][] {
    const entries = [...this.values];
    for (const credentials of this.issued.values()) {
      entries.push(
        [credentials.secretAccessKey, `secret access key ${credentials.accessKeyId}`],
        [credentials.sessionToken, `session token of ${credentials.accessKeyId}`],
      );
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
export class Corpus {
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
export function masked(text: string, values: (string | undefined)[]): string {
  let out = text;
  for (const value of values) if (value) out = out.split(value).join("«allowed»");
  return out;
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

/** One file's secrets and the texts it recorded, with how many of each kind. */
export class LeakScan {
  readonly vault: SecretVault;
  readonly corpus = new Corpus();
  readonly counts = { cliRuns: 0, httpAnswers: 0, logRecords: 0, errors: 0, sessions: 0, files: 0 };

  constructor(issued: IssuedCredentialStore) {
    this.vault = new SecretVault(issued);
  }

  /** Records an HTTP answer (status, headers, body); `allowed` are values this answer may hold (credentials to an authorised client). */
  answer(where: string, answer: HttpAnswer, allowed: (string | undefined)[] = []): HttpAnswer {
    this.counts.httpAnswers++;
    this.corpus.add(where, masked(`HTTP ${answer.status}\n${JSON.stringify(answer.headers)}\n${answer.body}`, allowed));
    for (const name of Object.keys(answer.headers)) assert.ok(!name.startsWith("access-control-"), `${where}: no CORS header (${name})`);
    return answer;
  }

  /** Records every argument a logger was given, formatted and inspected. */
  logger(where: string, logger: CapturingLogger): void {
    for (const { level, content } of logger.records) {
      this.counts.logRecords++;
      this.corpus.add(`${where} — log ${level}`, format(...content));
      this.corpus.add(`${where} — log ${level} (inspected)`, inspect(content, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
    }
  }

  error(where: string, error: unknown): void {
    this.counts.errors++;
    for (const text of errorTexts(error)) this.corpus.add(`${where} — error`, text);
  }

  /** JSON and util.inspect of a session and its provider: never the key, the secret or the token. */
  session(where: string, session: CredentialSession): void {
    this.counts.sessions++;
    this.corpus.add(`${where} — JSON.stringify(session)`, JSON.stringify(session));
    this.corpus.add(`${where} — inspect(session)`, inspect(session));
    this.corpus.add(`${where} — inspect(session, showHidden)`, inspect(session, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
    this.corpus.add(`${where} — String(session)`, String(session));
    this.corpus.add(`${where} — inspect(provider)`, inspect(session.provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
    this.corpus.add(`${where} — JSON.stringify(provider)`, String(JSON.stringify(session.provider)));
    const json = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
    for (const key of Object.keys(json))
      assert.ok(["mechanism", "accessKeyId", "expiration"].includes(key), `${where}: JSON of a session holds only what identifies it (${key})`);
  }

  /** Searches the texts recorded since the last call against every secret known now. */
  assertClean(): number {
    return this.corpus.assertClean(this.vault);
  }
}

/** Material the self-check plants, in the forms a leak could take, and public material it must not flag. */
export interface PlantedLeakSample {
  /** A private key as PEM (a part of one of its lines is planted). */
  pemKey: string;
  /** An RSA-2048 key (a slice of its private exponent, as upper-case hex DER, is planted). */
  rsaKey: KeyObject;
  /** An EC key (its private scalar is planted). */
  ecKey: KeyObject;
  /** A word of a passphrase, and a PIN. */
  passphraseWord: string;
  pin: string;
  credentials: IssuedCredentials;
  /** Certificates and keys whose public parts read-certificate-data and doctor print. */
  certificates: { certificatePem: string; certificateDer: Buffer }[];
  publicKeysOf: KeyObject[];
}

/** Plants leaks in every form and checks that the search finds each one, names it without showing it, and passes public material. */
export function assertScannerFindsPlantedLeaks(vault: SecretVault, sample: PlantedLeakSample): void {
  const probe = new Corpus();
  const { credentials } = sample;
  const pemLine = pemBody(sample.pemKey)[1]!;
  const der = sample.rsaKey.export({ type: "pkcs8", format: "der" });
  const d = (sample.ecKey.export({ format: "jwk" }) as { d: string }).d;
  const planted: [string, string][] = [
    ["part of a PEM line", `key: ${pemLine.slice(3, 25)}…`],
    // Bytes 350–380 of an RSA-2048 PKCS#8 key: inside the private exponent (bytes 100–130 would be the public modulus).
    ["the DER in upper-case hex", `dump ${der.toString("hex").toUpperCase().slice(700, 760)}`],
    ["the private scalar", `d=${d}`],
    ["a passphrase word", `argument "${sample.passphraseWord}"`],
    ["the PIN", `login with ${sample.pin} failed`],
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
  assert.ok(
    !String(error.message).includes(pemLine.slice(3, 25)) && !(error.actual as string[]).join().includes(credentials.secretAccessKey.slice(4, 24)),
    "the report names secrets, never shows them",
  );
  // Public material: certificates and public keys in every form, as read-certificate-data and doctor print them.
  const clean = new Corpus();
  for (const certificate of sample.certificates) {
    clean.add("certificate PEM", certificate.certificatePem);
    clean.add("certificate base64", certificate.certificateDer.toString("base64"));
    clean.add("certificate hex", certificate.certificateDer.toString("hex"));
  }
  for (const key of sample.publicKeysOf) clean.add("public key", createPublicKey(key).export({ type: "spki", format: "pem" }).toString());
  clean.add("an access key id", credentials.accessKeyId);
  assert.equal(clean.assertClean(vault), clean.entries.length, "public material is not mistaken for a secret");
}

/** Each file's floor for what its tests must have shown the scanner, so that a clean result means something. */
export interface CorpusMinimums {
  /** Texts recorded by the file's tests. */
  texts: number;
  /** Distinct secret values searched for. */
  secrets: number;
  /** Labels of keys in the vault, each of which must be searched for by more than 30 probes. */
  keys: string[];
}

/**
 * The last describe of a hygiene file: the self-check, then every text the
 * file's tests recorded against every secret known at the end (a token made
 * by a later test is searched for in the texts of earlier ones too).
 */
export function describeCorpusChecks(
  scan: () => LeakScan,
  sample: () => PlantedLeakSample,
  minimums: CorpusMinimums,
  options: { skip?: string | false } = {},
): void {
  describe("the whole corpus", { skip: options.skip ?? false }, () => {
    test("the search finds planted leaks in every form, and does not mistake public material for a secret", () => {
      assertScannerFindsPlantedLeaks(scan().vault, sample());
    });

    test("every text against every secret", (t: TestContext) => {
      const { corpus, vault, counts } = scan();
      const texts = corpus.assertClean(vault, true);
      const probes = vault.probes().length;
      t.diagnostic(
        `${texts} texts (${corpus.characters} characters) from ${counts.cliRuns} CLI runs, ${counts.httpAnswers} HTTP answers, ${counts.logRecords} log records, ${counts.errors} errors with their causes, ${counts.sessions} sessions and providers, ${counts.files} files`,
      );
      t.diagnostic(`${vault.count} secret values searched (${probes} probes: whole values and 16-character windows)`);
      assert.ok(texts > minimums.texts && vault.count > minimums.secrets, `the harness saw enough to mean something (${texts} texts, ${vault.count} secrets)`);
      for (const key of minimums.keys) {
        assert.ok(vault.probeCount(key) > 30, `${key} is searched for by enough distinctive probes (${vault.probeCount(key)})`);
      }
    });
  });
}
