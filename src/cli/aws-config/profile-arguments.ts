/**
 * The flags `configure` writes after `credential-process` in a profile: those
 * typed on its command line, with file paths made absolute (the AWS CLI runs
 * the command from any directory) and nothing secret — a passphrase, a PIN,
 * key text — ever written to the config file.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { FLAGS, type FlagName } from "../config/flags.js";
import { isSpecialMaterial, notWritable, SECRET_KEY_SOURCE_FLAGS } from "../config/key-inputs.js";
import type { Settings } from "../config/settings.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";

/** Flags that are configure's own, not credential-process's. */
const OWN: readonly FlagName[] = ["profile", "region", "debug"];

/** Files credential-process reads: they must exist now, or the profile fails at its first use. */
const READ_FILES: readonly string[] = ["certificate", "private-key", "intermediates", "ca-cert", "config-file", "pkcs11-lib"];

/** Flags whose value is a secret itself, and where the secret goes instead. */
const SECRET_FLAGS: Readonly<Record<string, string>> = {
  "pkcs8-password": "leave it out and set CERTCREDS_PKCS8_PASSWORD in the environment the AWS CLI or SDK runs in",
  ...Object.fromEntries(
    SECRET_KEY_SOURCE_FLAGS.map((name) => [name, `set it with the environment variable or the config-file profile credential-process reads`]),
  ),
};

/** A path flag's value as an absolute path, checked to exist when credential-process reads it. */
function absolutePath(name: FlagName, value: string): string {
  if (isSpecialMaterial(value)) return value;
  const path = resolve(value);
  if (READ_FILES.includes(name)) {
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(path, { throwIfNoEntry: false });
    } catch {
      stat = undefined;
    }
    if (stat === undefined) throw new CliConfigurationError(`--${name} ${path} does not exist: give the path of the file credential-process will read.`);
    if (!stat.isFile()) throw new CliConfigurationError(`--${name} ${path} is not a regular file: give the path of the file credential-process will read.`);
  }
  return path;
}

/** One flag as arguments: `--name value`, `--name=value` when the value looks like a flag, a boolean as `--name` or `--name=false`. */
function argumentsOf(name: FlagName, settings: Settings): string[] {
  const spec = FLAGS[name] as { kind: string; path?: boolean };
  if (spec.kind === "boolean") return [settings.boolean(name) ? `--${name}` : `--${name}=false`];
  let value = settings.string(name)!;
  const refusal = notWritable(`--${name}`, value);
  if (refusal) throw new UsageError(refusal);
  if (spec.path) value = absolutePath(name, value);
  return value.startsWith("-") ? [`--${name}=${value}`] : [`--${name}`, value];
}

/**
 * The arguments of `credential-process` for a profile: every flag given
 * on the command line, in the order of the flags table (so a rerun writes
 * the same line whatever the order typed). Settings from `CERTCREDS_*` variables or a config-file
 * profile are not copied: credential-process reads them itself when it runs.
 */
export function credentialProcessArguments(settings: Settings): string[] {
  const args: string[] = [];
  for (const name of Object.keys(FLAGS) as FlagName[]) {
    if (OWN.includes(name) || settings.source(name) !== "flag") continue;
    const advice = SECRET_FLAGS[name];
    if (advice !== undefined) throw new UsageError(`--${name} would write a secret into the AWS config file: ${advice}.`);
    args.push(...argumentsOf(name, settings));
  }
  return args;
}
