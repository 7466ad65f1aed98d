import { showValue } from "../../core/show-value.js";
import { COMMAND_FLAGS, FLAG_COMMANDS } from "../registry.js";
import { CREDENTIAL_FLAGS, FLAGS, type FlagName } from "./flags.js";
import { SECRET_KEY_SOURCE_FLAGS } from "./key-inputs.js";
import { nearest } from "../../core/suggest.js";
import { UsageError } from "../output/usage-error.js";

/** A subcommand's command line, values still as text. */
export interface ParsedArgs {
  /** Flags given on the command line (booleans as "true"/"false"). */
  values: Map<FlagName, string>;
  help: boolean;
}

function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

/** The commands that take a flag: those that obtain credentials first, then the others, each in the registry's order. */
function ownersOf(name: FlagName): string[] {
  const obtains = (flags: readonly FlagName[]) => CREDENTIAL_FLAGS.every((flag) => flags.includes(flag));
  const accepting = FLAG_COMMANDS.filter((c) => c.flags.includes(name));
  return [...accepting.filter((c) => obtains(c.flags)), ...accepting.filter((c) => !obtains(c.flags))].map((c) => c.name);
}

/** Says what an unknown flag probably was: a typo of a flag of this command, or a flag of another one. */
function unknownFlag(command: string, name: string): UsageError {
  const accepted = COMMAND_FLAGS[command] ?? [];
  const guess = nearest(name, accepted);
  const owners = isFlagName(name) ? ownersOf(name) : [];
  const hint = guess ? ` Did you mean --${guess}?` : owners.length ? ` It is an option of ${owners.map((c) => `"certcreds ${c}"`).join(", ")}.` : "";
  // A flag-like name is shown as typed; anything else quoted and bounded.
  const shown = /^[\w-]{0,60}$/.test(name) ? `--${name}` : showValue(`--${name}`);
  return new UsageError(`unknown option ${shown} for "certcreds ${command}".${hint} Run "certcreds ${command} --help" for its options.`);
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag` (or
 * `--flag=false`), as AWS's aws_signing_helper (cobra) does. Unknown flags
 * and stray arguments are usage errors naming the nearest valid flag.
 */
export function parseArgs(command: string, argv: readonly string[]): ParsedArgs {
  const accepted = COMMAND_FLAGS[command] ?? [];
  const values = new Map<FlagName, string>();
  let help = false;
  let previous: FlagName | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      // A word after a boolean flag is likely a secret meant for it (a PIN after a flag that takes none), one
      // after the passphrase the rest of an unquoted passphrase: name the place, never the word.
      const secret = previous === "pkcs8-password" || (SECRET_KEY_SOURCE_FLAGS as readonly string[]).includes(previous ?? "");
      const after = previous !== undefined && (FLAGS[previous].kind === "boolean" || secret) ? previous : undefined;
      const why = after && FLAGS[after].kind === "boolean" ? `--${after} takes no value` : "quote a value that holds spaces";
      const shown = after ? `after --${after} (not shown: it may be a secret; ${why})` : showValue(arg);
      throw new UsageError(
        `unexpected argument ${shown} for "certcreds ${command}": every input is given with a flag (e.g. --certificate <file>). Run "certcreds ${command} --help".`,
      );
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!isFlagName(name) || !accepted.includes(name)) throw unknownFlag(command, name);
    const spec = FLAGS[name];
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else if (spec.kind === "boolean") {
      value = "true";
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && isFlagName(next.slice(2).split("=")[0]!))) {
        throw new UsageError(`option --${name} needs a value, e.g. --${name} <value>. Run "certcreds ${command} --help".`);
      }
      value = next;
      i++;
    }
    previous = name;
    values.set(name, value);
  }
  return { values, help };
}
