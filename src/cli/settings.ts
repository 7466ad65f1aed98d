import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { COMMAND_FLAGS, envName, FLAGS, type FlagName } from "./flags.js";
import { parseIni } from "./ini.js";
import type { ParsedArgs } from "./parse-args.js";
import { nearest } from "./suggest.js";
import { CliConfigurationError, UsageError } from "./usage-error.js";

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
    if (source === "profile") return `${name} in profile [${this.profileName}] of ${this.configFile}`;
    return `--${name}`;
  }
  /** Every set value except secrets, sorted by name (for the cache key). */
  entries(): [FlagName, Value][] {
    return [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

/** Values of material flags that are not file paths. */
export function isSpecialMaterial(value: string): boolean {
  return value === "-" || value.startsWith("env:") || value.startsWith("pkcs11:") || value.includes("-----BEGIN");
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
    // The value is not echoed: it may be a PIN meant for --reuse-pin.
    throw fail(`${where} must be true or false (or 1/0, yes/no, on/off); the value given is not shown, as it may be a secret.`);
  }
  if (spec.kind === "integer") {
    if (!/^\s*-?\d+\s*$/.test(raw)) throw fail(`${where} must be a whole number, not "${raw}".`);
    return Number(raw);
  }
  return raw;
}

/** The default config file: `$XDG_CONFIG_HOME/certcreds/config` or `~/.config/certcreds/config`. */
export function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "certcreds", "config");
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
  if (explicitFile === undefined && requested === undefined && statSync(file, { throwIfNoEntry: false }) === undefined) {
    return { file: undefined, name: undefined, entries: new Map() };
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && explicitFile === undefined && requested === undefined) return { file: undefined, name: undefined, entries: new Map() };
    throw new CliConfigurationError(
      `config file ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}` +
        `${requested !== undefined ? ` (profile "${requested}" was asked for)` : ""}. Create it with a [${requested ?? "name"}] section of flag = value lines, or pass --config-file.`,
    );
  }
  const sections = parseIni(text);
  const name = requested ?? (sections.has("default") ? "default" : undefined);
  if (name === undefined) return { file, name: undefined, entries: new Map() };
  const entries = sections.get(name);
  if (entries === undefined) {
    const known = [...sections.keys()];
    throw new CliConfigurationError(
      `profile "${name}" is not in ${file} (it has ${known.length ? known.map((s) => `[${s}]`).join(", ") : "no sections"}). Pass one of them with --profile-name, or add a [${name}] section.`,
    );
  }
  for (const key of entries.keys()) {
    if (!Object.hasOwn(FLAGS, key)) {
      const guess = nearest(key, Object.keys(FLAGS));
      throw new CliConfigurationError(`unknown key "${key}" in profile [${name}] of ${file}.${guess ? ` Did you mean ${guess}?` : ""} Keys are flag names without the dashes.`);
    }
    if ((FLAGS[key as FlagName] as { notInProfile?: boolean }).notInProfile) {
      throw new CliConfigurationError(`"${key}" cannot be set inside a profile of ${file}: pass --${key} or ${envName(key)}.`);
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
      where = `${name} in profile [${profile.name}] of ${profile.file}`;
    } else {
      continue;
    }
    if (spec.path) raw = expandPath(raw, source === "profile" ? profileDir : undefined);
    values.set(name, convert(name, raw, source, where));
    sources.set(name, source);
  }
  return new Settings(command, values, sources, profile.file, profile.name);
}
