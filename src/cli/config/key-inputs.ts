/**
 * The forms a certificate or key flag takes, known here and nowhere else in
 * the CLI: a file path, PEM text, `env:VAR` (PEM text or base64 DER from a
 * variable), `-` (standard input: no key on disk), and the URI schemes of the
 * key sources (`pkcs11:`…), which declare their flags and their mapping to
 * the library in their own folders (src/identity/sources/<name>/cli.ts).
 * The warm `credential-process` path calls the first three functions only;
 * the rest (help text, reading, the key sources' code) stays out of its bundle.
 */
import type { IdentityInit } from "../../identity/identity-init.js";
import type { KeySourceCli } from "../../identity/key-source-cli.js";
import { MAX_MATERIAL_BYTES } from "../../identity/limits.js";
import type { MaterialInput } from "../../identity/material.js";
import { KEY_SOURCE_CLIS, type KeySourceFlagName } from "../../identity/sources/cli.js";
import { readRegularFileSync } from "../../core/fs/read-regular-file.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";
import type { FlagName, FlagSpec } from "./flags.js";
import type { Settings } from "./settings.js";

const SOURCES: readonly KeySourceCli[] = KEY_SOURCE_CLIS;

/** The key source whose URI scheme a value starts with, if any. */
function schemeOf(value: string): KeySourceCli | undefined {
  return SOURCES.find((source) => source.scheme !== undefined && value.startsWith(source.scheme));
}

/** Whether a material flag's value is something other than a file path (never `~`-expanded or resolved). */
export function isSpecialMaterial(value: string): boolean {
  return value === "-" || value.startsWith("env:") || schemeOf(value) !== undefined || value.includes("-----BEGIN");
}

/** A value as part of the credential cache key: secrets a key source's URI may hold (a PIN) removed. */
export function withoutPin(value: string): string {
  return schemeOf(value)?.cacheKeyForm?.(value) ?? value;
}

/**
 * Why a material flag's value cannot be written into a file such as the AWS
 * config (and what to give instead), or undefined when it can: PEM text (it
 * may hold the key), `-` (standard input: a program started by an SDK has
 * none), a key source URI holding a PIN.
 */
export function notWritable(flag: string, value: string): string | undefined {
  if (value.includes("-----BEGIN")) {
    return `${flag} is PEM text, which would put ${flag === "--private-key" ? "the key" : "PEM text (maybe a key)"} into the file: pass a file path (a key file mode 0600) or env:VAR.`;
  }
  if (value === "-") return `${flag} - reads standard input, which a program started by the AWS CLI or an SDK does not have: pass a file path or env:VAR.`;
  const source = schemeOf(value);
  if (source && withoutPin(value) !== value) {
    return `${flag} is a ${source.scheme} URI holding a secret (a PIN), which would be written into the file: ${source.secretAdvice ?? "give it another way"}.`;
  }
  return undefined;
}

/**
 * The bytes that identify the certificate: the file's (or variable's) bytes
 * for their SHA-256 fingerprint — no X.509 parsing on the warm path. A
 * renewed certificate therefore gets a new cache entry. Undefined when the
 * certificate cannot be read (the cold path reports why).
 */
export function certificateBytes(value: string | undefined, env: NodeJS.ProcessEnv): Buffer | undefined {
  if (value === undefined || value === "-") return undefined;
  if (value.startsWith("env:")) {
    const text = env[value.slice(4)];
    return text ? Buffer.from(text) : undefined;
  }
  if (schemeOf(value) || value.includes("-----BEGIN")) return Buffer.from(withoutPin(value));
  // Bounded and non-blocking like every read: `--certificate /dev/zero` or a FIFO must not hang the warm path.
  const read = readRegularFileSync(value, { maxBytes: MAX_MATERIAL_BYTES });
  return "bytes" in read ? read.bytes : undefined;
}

/** The flags the key sources add, in the flags table after the other identity flags. */
export const KEY_SOURCE_FLAGS = Object.fromEntries(
  SOURCES.flatMap((source) => Object.entries(source.flags).map(([name, flag]) => [name, { kind: flag.kind, ...(flag.path ? { path: true } : {}) }])),
) as Record<KeySourceFlagName, FlagSpec>;

/** The key sources' flags that hold secrets: never part of the credential cache key. */
export const SECRET_KEY_SOURCE_FLAGS = SOURCES.flatMap((source) =>
  Object.entries(source.flags)
    .filter(([, flag]) => flag.secret)
    .map(([name]) => name as KeySourceFlagName),
);

/** The key sources' flags accepted only to be refused when set (AWS's helper features certcreds has not), with why. */
export const REFUSED_KEY_SOURCE_FLAGS = SOURCES.flatMap((source) =>
  Object.entries(source.flags).flatMap(([name, flag]) => (flag.refused ? [[name as KeySourceFlagName, flag.refused] as const] : [])),
);

/** Help lines of the flags whose values take these forms. */
export function keyInputHelp(): Record<"certificate" | "private-key" | KeySourceFlagName, string> {
  const forms = (keys: boolean) =>
    SOURCES.filter((source) => source.form !== undefined && (keys || !source.keyOnly))
      .map((source) => `|${source.form}`)
      .join("");
  return {
    certificate: `<file|env:VAR${forms(false)}>  the certificate (PEM, DER, or PKCS#12 .p12/.pfx with the key and chain; a PEM may also hold the chain and the key)`,
    "private-key": `<file|env:VAR|-${forms(true)}>  the private key (a TSS2 file or handle: is a TPM key); env:VAR reads PEM text from a variable, - from standard input (no key on disk)`,
    ...(Object.fromEntries(SOURCES.flatMap((source) => Object.entries(source.flags).map(([name, flag]) => [name, flag.help]))) as Record<
      KeySourceFlagName,
      string
    >),
  };
}

let stdinRead: Promise<Buffer> | undefined;

/** Standard input, read once: `--private-key -` keeps the key off the disk. */
function readStdin(): Promise<Buffer> {
  stdinRead ??= (async () => {
    if (process.stdin.isTTY) {
      throw new UsageError(
        "--private-key - reads the key from standard input, but standard input is a terminal: pipe the key in, e.g. `vault read ... | certcreds ...`.",
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  return stdinRead;
}

/**
 * Turns a material flag into the library's MaterialInput: a path stays a
 * path (the library re-reads it at each refresh, so renewed files are used),
 * `env:NAME` takes PEM text (or base64 DER) from a variable, `-` reads
 * standard input. Nothing is written to disk.
 */
export async function materialFrom(settings: Settings, name: FlagName): Promise<MaterialInput | undefined> {
  const value = settings.string(name);
  if (value === undefined || value === "") return undefined;
  if (value === "-") {
    const bytes = await readStdin();
    if (bytes.length === 0) throw new CliConfigurationError(`${settings.describe(name)} is "-" but standard input was empty: pipe the PEM in.`);
    return bytes;
  }
  if (value.startsWith("env:")) {
    const variable = value.slice(4);
    const text = process.env[variable];
    if (text === undefined || text.trim() === "") {
      throw new CliConfigurationError(
        `${settings.describe(name)} is "${value}" but the environment variable ${variable} is not set or empty: export it with the PEM text.`,
      );
    }
    if (text.includes("-----BEGIN")) return text.replace(/\\n/g, "\n");
    return Buffer.from(text.replace(/\s+/g, ""), "base64");
  }
  const source = schemeOf(value);
  if (source) {
    throw new CliConfigurationError(
      `${settings.describe(name)} is a ${source.scheme} URI, which "certcreds ${settings.command}" cannot use: pass a file, env:VAR or -.`,
    );
  }
  return value;
}

/** A key source's flags, read as their kinds say; another identity flag it asks for (`pkcs8-password`) as text. */
function flagsOf(settings: Settings, source: KeySourceCli): (name: string) => string | boolean | number | undefined {
  return (name) => {
    const kind = source.flags[name]?.kind ?? "string";
    if (!settings.has(name as FlagName)) return undefined;
    return kind === "boolean"
      ? settings.boolean(name as FlagName)
      : kind === "integer"
        ? settings.integer(name as FlagName)
        : settings.string(name as FlagName);
  };
}

/** The key source the certificate and key flags name, when not a key file. */
function keySourceOf(settings: Settings): KeySourceCli | undefined {
  const values = { certificate: settings.string("certificate"), privateKey: settings.string("private-key") };
  return SOURCES.find((source) => source.claims({ ...values, flag: flagsOf(settings, source) }));
}

/** The identity part of either mechanism's init: certificate, chain, key, passphrase — or a key on a token. */
export async function identityInit(settings: Settings): Promise<IdentityInit> {
  if (settings.string("certificate") === undefined) {
    const uris = SOURCES.map((cli) => cli.scheme).filter((scheme) => scheme !== undefined);
    throw new UsageError(`--certificate is required: the path of the certificate (PEM or DER)${uris.length ? `, or a ${uris.join(" or ")} URI` : ""}.`);
  }
  const source = keySourceOf(settings);
  if (source) {
    return source.identityInit({
      certificate: settings.string("certificate"),
      privateKey: settings.string("private-key"),
      flag: flagsOf(settings, source),
      material: (name) => materialFrom(settings, name),
    });
  }
  const certificate = (await materialFrom(settings, "certificate"))!;
  const privateKey = await materialFrom(settings, "private-key");
  const chain = await materialFrom(settings, "intermediates");
  const passphrase = settings.string("pkcs8-password");
  return {
    certificate,
    ...(chain !== undefined ? { certificateChain: chain } : {}),
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
}

/**
 * The key `sign-string` signs with: a file, PEM text, env:VAR or `-` — not a
 * key on a token, which cannot be read out. Standard input holds the key or
 * the string to sign, not both: `stringGiven` says whether --string is set.
 */
export async function signingKeyInput(settings: Settings, stringGiven: boolean): Promise<MaterialInput> {
  const value = settings.string("private-key");
  // A key a source recognises by its content (a TSS2 key file) cannot be read out either.
  const source =
    value === undefined ? undefined : (schemeOf(value) ?? SOURCES.find((candidate) => candidate.claims({ certificate: undefined, privateKey: value })));
  if (source) {
    throw new UsageError(source.signStringRefusal ?? `sign-string signs with a key file, env:VAR or - (standard input), not a ${source.scheme} key.`);
  }
  const keyInput = await materialFrom(settings, "private-key");
  if (keyInput === undefined) throw new UsageError("--private-key is required: the key to sign with (file, env:VAR or -).");
  if (settings.string("private-key") === "-" && !stringGiven) {
    throw new UsageError("the key comes from standard input (--private-key -), so pass the string to sign with --string.");
  }
  return keyInput;
}
