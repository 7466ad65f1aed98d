import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { showValue } from "../../core/show-value.js";
import { COMMAND_FLAGS } from "../registry.js";
import { envName, FLAGS, type FlagName } from "./flags.js";
import { parseIni } from "./ini.js";
import { isSpecialMaterial, REFUSED_KEY_SOURCE_FLAGS } from "./key-inputs.js";
import type { ParsedArgs } from "./parse-args.js";
import { nearest } from "../../core/suggest.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";

/** Where a setting came from, for messages. */
export type SettingSource = "flag" | "env" | "profile";

type Value = string | boolean | number;

/**
 * The options of one invocation, merged with the precedence
 * flag > `CERTCREDS_<FLAG>` environment variable > config-file profile.
 */
export class Settings {
  constructor(
    readonly command: string,
    private readonly values: Map<FlagName, Value>,
    private readonly sources: Map<FlagName, SettingSource>,
    /** The config file read, if any. */
    readonly configFile: string | undefined,
    /** The profile of the config file used, if any. */
    readonly profileName: string | undefined,
  ) {}

  has(name: FlagName): boolean {
    return this.values.has(name);
  }
  string(name: FlagName): string | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : String(value);
  }
  boolean(name: FlagName): boolean {
    return this.values.get(name) === true;
  }
  integer(name: FlagName): number | undefined {
    const value = this.values.get(name);
    return typeof value === "number" ? value : undefined;
  }
  /** Where a setting came from, if set. */
  source(name: FlagName): SettingSource | undefined {
    return this.sources.get(name);
  }
  /** How to name a setting in a message: `--name`, `CERTCREDS_NAME` or the profile key. */
  describe(name: FlagName): string {
    const source = this.sources.get(name);
    if (source === "env") return `${envName(name)}`;
    if (source === "profile") return `${name} in profile [${shownName(this.profileName ?? "")}] of ${shownPath(this.configFile ?? "")}`;
    return `--${name}`;
  }
  /** Every set value except secrets, sorted by name (for the cache key). */
  entries(): [FlagName, Value][] {
    return [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

function expandPath(value: string, base: string | undefined): string {
  if (isSpecialMaterial(value)) return value;
  if (value === "~" || value.startsWith("~/")) return join(homedir(), value.slice(1));
  if (base !== undefined && !isAbsolute(value)) return resolve(base, value);
  return value;
}

function convert(name: FlagName, raw: string, source: SettingSource, where: string): Value {
  const spec = FLAGS[name];
  const fail = (message: string) => (source === "flag" ? new UsageError(message) : new CliConfigurationError(message));
  if (spec.kind === "boolean") {
    const text = raw.trim().toLowerCase();
    if (["true", "1", "yes", "on", ""].includes(text)) return true;
    if (["false", "0", "no", "off"].includes(text)) return false;
    // The value is not echoed: it may be a PIN meant for a boolean flag.
    throw fail(`${where} must be true or false (or 1/0, yes/no, on/off); the value given is not shown, as it may be a secret.`);
  }
  if (spec.kind === "integer") {
    if (!/^\s*-?\d+\s*$/.test(raw)) throw fail(`${where} must be a whole number, not ${showValue(raw)}.`);
    return Number(raw);
  }
  return raw;
}

/** The default config file: `$XDG_CONFIG_HOME/certcreds/config` or `~/.config/certcreds/config`. */
export function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "certcreds", "config");
}

/** A section name from the user's file or command line, bounded for messages. */
function shownName(name: string): string {
  return name.length > 60 ? `${name.slice(0, 60)}…` : name;
}

/** A file path for messages: bounded, keeping its end (the file name). */
function shownPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 100)}…${path.slice(-80)}` : path;
}

/** Config files are a few lines: a larger one is not a config file (and /dev/zero would never end). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Why a config file cannot be read, as an errno-style code for {@link readProfile}'s message. */
function unreadable(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/**
 * Reads a config file: a regular file up to MAX_CONFIG_BYTES, or a character
 * device such as /dev/null read up to that size. A FIFO or socket is
 * refused rather than waited on.
 */
function readConfigText(file: string): string {
  const stat = statSync(file);
  if (stat.isDirectory()) throw unreadable("EISDIR");
  if (stat.isFile()) {
    if (stat.size > MAX_CONFIG_BYTES) throw unreadable("TOO_LARGE");
    return readFileSync(file, "utf8");
  }
  if (!stat.isCharacterDevice()) throw unreadable("NOT_A_FILE");
  const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
  const fd = openSync(file, "r");
  try {
    let length = 0;
    for (let n = 1; n > 0 && length <= MAX_CONFIG_BYTES; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_BYTES) throw unreadable("TOO_LARGE");
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Whether a path exists, without throwing (ENOTDIR, EACCES... count as "there is something to report"). */
function mayExist(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

interface Profile {
  file: string | undefined;
  name: string | undefined;
  entries: Map<string, string>;
}

function readProfile(args: ParsedArgs, env: NodeJS.ProcessEnv): Profile {
  const explicitFile = args.values.get("config-file") ?? (env[envName("config-file")] || undefined);
  const file = explicitFile !== undefined ? expandPath(explicitFile, undefined) : defaultConfigFile(env);
  const requested = args.values.get("profile-name") ?? (env[envName("profile-name")] || undefined);
  // The usual case — no config file — without the cost of a thrown ENOENT.
  if (explicitFile === undefined && requested === undefined && !mayExist(file)) {
    return { file: undefined, name: undefined, entries: new Map() };
  }
  let text: string;
  try {
    text = readConfigText(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && explicitFile === undefined && requested === undefined) return { file: undefined, name: undefined, entries: new Map() };
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "TOO_LARGE"
          ? `is larger than ${MAX_CONFIG_BYTES} bytes, which is not a config file`
          : code === "NOT_A_FILE"
            ? "is not a regular file (a FIFO or socket)"
            : `cannot be read (${code})`;
    throw new CliConfigurationError(
      `config file ${shownPath(file)} ${why}` +
        `${requested !== undefined ? ` (profile ${showValue(requested)} was asked for)` : ""}. Create it with a [${shownName(requested ?? "name")}] section of flag = value lines, or pass --config-file.`,
    );
  }
  const sections = parseIni(text);
  const name = requested ?? (sections.has("default") ? "default" : undefined);
  if (name === undefined) return { file, name: undefined, entries: new Map() };
  const entries = sections.get(name);
  if (entries === undefined) {
    const known = [...sections.keys()].slice(0, 10).map((s) => `[${shownName(s)}]`);
    if (sections.size > known.length) known.push(`and ${sections.size - known.length} more`);
    throw new CliConfigurationError(
      `profile ${showValue(name)} is not in ${shownPath(file)} (it has ${known.length ? known.join(", ") : "no sections"}). Pass one of them with --profile-name, or add a [${shownName(name)}] section.`,
    );
  }
  for (const key of entries.keys()) {
    if (!Object.hasOwn(FLAGS, key)) {
      const guess = nearest(key, Object.keys(FLAGS));
      throw new CliConfigurationError(
        `unknown key ${showValue(key)} in profile [${shownName(name)}] of ${shownPath(file)}.${guess ? ` Did you mean ${guess}?` : ""} Keys are flag names without the dashes.`,
      );
    }
    if ((FLAGS[key as FlagName] as { notInProfile?: boolean }).notInProfile) {
      throw new CliConfigurationError(`"${key}" cannot be set inside a profile of ${shownPath(file)}: pass --${key} or ${envName(key)}.`);
    }
  }
  return { file, name, entries };
}

/**
 * Merges the command line, the environment and the config-file profile for
 * one subcommand. Settings that do not apply to the subcommand are ignored
 * when they come from the environment or a profile (one profile serves every
 * subcommand); on the command line they were already refused.
 */
export function resolveSettings(command: string, args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const profile = readProfile(args, env);
  const profileDir = profile.file ? dirname(profile.file) : undefined;
  const values = new Map<FlagName, Value>();
  const sources = new Map<FlagName, SettingSource>();
  for (const name of COMMAND_FLAGS[command] ?? []) {
    const spec = FLAGS[name] as { kind: string; path?: boolean };
    let raw: string | undefined;
    let source: SettingSource;
    let where: string;
    if (args.values.has(name)) {
      raw = args.values.get(name)!;
      source = "flag";
      where = `--${name}`;
    } else if (env[envName(name)] !== undefined && env[envName(name)] !== "") {
      raw = env[envName(name)]!;
      source = "env";
      where = envName(name);
    } else if (profile.entries.has(name)) {
      raw = profile.entries.get(name)!;
      source = "profile";
      where = `${name} in profile [${shownName(profile.name ?? "")}] of ${shownPath(profile.file ?? "")}`;
    } else {
      continue;
    }
    if (spec.path) raw = expandPath(raw, source === "profile" ? profileDir : undefined);
    values.set(name, convert(name, raw, source, where));
    sources.set(name, source);
  }
  const settings = new Settings(command, values, sources, profile.file, profile.name);
  // Flags of AWS's helper for features certcreds has not: a usage error wherever they are set, saying what to use instead.
  for (const [name, refusal] of REFUSED_KEY_SOURCE_FLAGS) {
    if (values.has(name) && values.get(name) !== false) throw new UsageError(`${settings.describe(name)} ${refusal}`);
  }
  return settings;
}
