/**
 * Every command, once: its name, summary, flags and a lazy loader of its
 * module (src/cli/commands/), which holds how it runs and its help page.
 * The warm `credential-process` path reads the flag lists here, so this file
 * holds no help text and imports no command (the launcher's bundle replaces
 * the loaders with a stub).
 */
import { CREDENTIAL_FLAGS, type FlagName, IDENTITY_FLAGS, SOURCE_FLAGS } from "./config/flags.js";
import type { Settings } from "./config/settings.js";
import type { CommandDoc } from "./output/help.js";

/** What a command module exports: how it runs, and its help page. */
export interface CommandModule {
  run(settings: Settings): Promise<number>;
  doc: CommandDoc;
}

/** A command whose flags are parsed and merged with the environment and a config-file profile. */
export interface Command {
  name: string;
  /** One line, for `certcreds --help` and the top of the command's help page. */
  summary: string;
  flags: readonly FlagName[];
  load(): Promise<CommandModule>;
}

/** A command that reads its own arguments: no flags of the table, no help page of its own. */
export interface RawCommand {
  name: string;
  summary: string;
  raw: true;
  load(): Promise<{ run(argv: string[]): Promise<number> }>;
}

/** In the order of `certcreds --help`. */
export const COMMANDS: readonly (Command | RawCommand)[] = [
  {
    name: "credential-process",
    summary: "print credentials in the credential_process format (cached across invocations)",
    flags: [...CREDENTIAL_FLAGS, "cache-dir", "no-cache"],
    load: () => import("./commands/credential-process.js"),
  },
  {
    name: "serve",
    summary: "serve credentials to local SDKs over IMDSv2 and the container credentials endpoint",
    flags: [...CREDENTIAL_FLAGS, "port", "listen", "allow-host", "hop-limit", "token-file", "cache-dir"],
    load: () => import("./commands/serve.js"),
  },
  {
    name: "update",
    summary: "keep a profile of ~/.aws/credentials fresh",
    flags: [...CREDENTIAL_FLAGS, "profile", "once"],
    load: () => import("./commands/update.js"),
  },
  {
    name: "configure",
    summary: "write a credential_process profile into the AWS config file (~/.aws/config)",
    flags: [...CREDENTIAL_FLAGS, "cache-dir", "no-cache", "profile"],
    load: () => import("./commands/configure.js"),
  },
  {
    name: "sign-string",
    summary: "sign a string with the private key (as aws_signing_helper sign-string)",
    flags: [...IDENTITY_FLAGS, "string", "format", "digest", ...SOURCE_FLAGS],
    load: () => import("./commands/sign-string.js"),
  },
  {
    name: "read-certificate-data",
    summary: "print a certificate's key type, serial (decimal), base64 DER and algorithms",
    // As aws_signing_helper's: its certificate-store flags too (refused, with what to use instead).
    flags: ["certificate", "cert-selector", "system-store-name", "expiry-warning-days", ...SOURCE_FLAGS],
    load: () => import("./commands/read-certificate-data.js"),
  },
  {
    name: "doctor",
    summary: "check a configuration step by step and explain what is wrong",
    flags: CREDENTIAL_FLAGS,
    load: () => import("./commands/doctor.js"),
  },
  {
    name: "cache clear",
    summary: "delete the cached credentials",
    flags: ["cache-dir", ...SOURCE_FLAGS],
    load: () => import("./commands/cache-clear.js"),
  },
  {
    name: "emulate",
    summary: "run the emulators with a throwaway PKI and write the files and profiles to try every command",
    raw: true,
    load: async () => ({ run: (await import("./commands/emulate.js")).runEmulate }),
  },
  {
    name: "demo",
    summary: "obtain credentials end to end against local emulators (no AWS account needed)",
    raw: true,
    load: async () => ({ run: (await import("./commands/demo.js")).runDemo }),
  },
];

function hasFlags(command: Command | RawCommand): command is Command {
  return !("raw" in command);
}

/** The commands that take flags (all but the demo). */
export const FLAG_COMMANDS: readonly Command[] = COMMANDS.filter(hasFlags);

/** The flags each command accepts, by command name. */
export const COMMAND_FLAGS: Readonly<Record<string, readonly FlagName[]>> = Object.fromEntries(FLAG_COMMANDS.map((c) => [c.name, c.flags]));

/** The command of that exact name that takes flags, if any. */
export function findCommand(name: string): Command | undefined {
  return FLAG_COMMANDS.find((c) => c.name === name);
}

/** The command of that exact name that reads its own arguments, if any. */
export function findRawCommand(name: string | undefined): RawCommand | undefined {
  return COMMANDS.find((c): c is RawCommand => !hasFlags(c) && c.name === name);
}
