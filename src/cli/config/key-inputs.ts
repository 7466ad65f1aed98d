/**
 * The forms a certificate or key flag takes, known here and nowhere else in
 * the CLI: a file path, PEM text, `env:VAR` (PEM text or base64 DER from a
 * variable), `-` (standard input: no key on disk) and RFC 7512 `pkcs11:`
 * URIs (a key that stays on a token, with --pkcs11-lib and --reuse-pin).
 * The warm `credential-process` path calls the first three functions only;
 * the rest (help text, reading, the token) stays out of its bundle.
 */
import { readFileSync } from "node:fs";
import type { IdentityInit } from "../../identity/load-identity.js";
import type { MaterialInput } from "../../identity/material.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";
import type { FlagName, FlagSpec } from "./flags.js";
import type { Settings } from "./settings.js";

/** Whether a material flag's value is something other than a file path (never `~`-expanded or resolved). */
export function isSpecialMaterial(value: string): boolean {
  return value === "-" || value.startsWith("env:") || value.startsWith("pkcs11:") || value.includes("-----BEGIN");
}

/** A PIN in a pkcs11: URI does not choose the credentials: it stays out of the cache key (and so of the file name). */
export function withoutPin(value: string): string {
  return value.startsWith("pkcs11:") ? value.replace(/([?&;]pin-value)=[^&]*/gi, "$1") : value;
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
  if (value.startsWith("pkcs11:") || value.includes("-----BEGIN")) return Buffer.from(withoutPin(value));
  try {
    return readFileSync(value);
  } catch {
    return undefined;
  }
}

/** The flags of keys on a PKCS#11 token, in the flags table after the other identity flags. */
export const KEY_SOURCE_FLAGS = {
  "pkcs11-lib": { kind: "string", path: true },
  "reuse-pin": { kind: "boolean" },
} as const satisfies Record<string, FlagSpec>;

/** Help lines of the flags whose values take these forms. */
export const KEY_INPUT_HELP = {
  certificate: "<file|env:VAR|pkcs11:URI>  the certificate (PEM or DER; a PEM may also hold the chain and the key)",
  "private-key": "<file|env:VAR|-|pkcs11:URI>  the private key; env:VAR reads PEM text from a variable, - from standard input (no key on disk)",
  "pkcs11-lib": "<file>  PKCS#11 module for pkcs11: URIs",
  "reuse-pin": "use the token's user PIN for keys that ask for it again (CKA_ALWAYS_AUTHENTICATE)",
} as const satisfies Partial<Record<FlagName, string>>;

/** Library error codes of the token key source that mean "fix your inputs" (exit code 3). */
export function isKeySourceInputError(code: string): boolean {
  return code.startsWith("ERR_CERTCREDS_PKCS11");
}

let stdinRead: Promise<Buffer> | undefined;

/** Standard input, read once: `--private-key -` keeps the key off the disk. */
function readStdin(): Promise<Buffer> {
  stdinRead ??= (async () => {
    if (process.stdin.isTTY) {
      throw new UsageError("--private-key - reads the key from standard input, but standard input is a terminal: pipe the key in, e.g. `vault read ... | certcreds ...`.");
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
      throw new CliConfigurationError(`${settings.describe(name)} is "${value}" but the environment variable ${variable} is not set or empty: export it with the PEM text.`);
    }
    if (text.includes("-----BEGIN")) return text.replace(/\\n/g, "\n");
    return Buffer.from(text.replace(/\s+/g, ""), "base64");
  }
  if (value.startsWith("pkcs11:")) {
    throw new CliConfigurationError(`${settings.describe(name)} is a pkcs11: URI, which "certcreds ${settings.command}" cannot use: pass a file, env:VAR or -.`);
  }
  return value;
}

/** Whether the certificate or the key is on a token. */
function onToken(settings: Settings): boolean {
  return settings.string("certificate")?.startsWith("pkcs11:") === true || settings.string("private-key")?.startsWith("pkcs11:") === true;
}

/**
 * `--certificate` / `--private-key` given as `pkcs11:` URIs, with
 * `--pkcs11-lib` and `--reuse-pin`, as the library's identity init (the
 * library's PKCS#11 support maps them; the key stays on the token). Its
 * code is loaded only when a pkcs11: URI is configured.
 */
async function tokenIdentityInit(settings: Settings): Promise<IdentityInit> {
  const { pkcs11IdentityFromCli } = await import("../../identity/sources/pkcs11/cli-options.js");
  const certificateValue = settings.string("certificate");
  const keyValue = settings.string("private-key");
  const certificate = certificateValue?.startsWith("pkcs11:") ? certificateValue : await materialFrom(settings, "certificate");
  const chain = await materialFrom(settings, "intermediates");
  const identity = pkcs11IdentityFromCli({
    certificate,
    privateKey: keyValue?.startsWith("pkcs11:") ? keyValue : undefined,
    pkcs11Lib: settings.string("pkcs11-lib"),
    reusePin: settings.boolean("reuse-pin"),
  });
  return { ...identity, ...(chain !== undefined ? { certificateChain: chain } : {}) } as IdentityInit;
}

/** The identity part of either mechanism's init: certificate, chain, key, passphrase — or a key on a token. */
export async function identityInit(settings: Settings): Promise<IdentityInit> {
  if (settings.string("certificate") === undefined) {
    throw new UsageError("--certificate is required: the path of the certificate (PEM or DER), or a pkcs11: URI.");
  }
  if (onToken(settings)) return tokenIdentityInit(settings);
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

/** Why `doctor` cannot check the certificate and key offline (they are on a token), if so. */
export function offlineChecksSkipped(settings: Settings): string | undefined {
  return onToken(settings) ? "held on a PKCS#11 token: checked by the real call below" : undefined;
}

/** `doctor`'s message when no key is given and none is bundled with the certificate. */
export const MISSING_KEY = "no --private-key and no key beside the certificate: pass --private-key <file>, env:VAR or -.";

/**
 * The key `sign-string` signs with: a file, PEM text, env:VAR or `-` — not a
 * key on a token, which cannot be read out. Standard input holds the key or
 * the string to sign, not both: `stringGiven` says whether --string is set.
 */
export async function signingKeyInput(settings: Settings, stringGiven: boolean): Promise<MaterialInput> {
  if (settings.string("private-key")?.startsWith("pkcs11:")) {
    throw new UsageError("sign-string signs with a key file, env:VAR or - (standard input); a key on a PKCS#11 token signs with `pkcs11-tool --sign`.");
  }
  const keyInput = await materialFrom(settings, "private-key");
  if (keyInput === undefined) throw new UsageError("--private-key is required: the key to sign with (file, env:VAR or -).");
  if (settings.string("private-key") === "-" && !stringGiven) {
    throw new UsageError("the key comes from standard input (--private-key -), so pass the string to sign with --string.");
  }
  return keyInput;
}
