/**
 * The `certcreds` command line (ES module bundle dist/cli/certcreds.mjs).
 * It statically holds only flag parsing, the registry and the warm path of
 * `credential-process`; every command module is imported lazily so that it
 * lands in its own chunk. The CommonJS launcher (launcher.ts) answers warm
 * `credential-process` calls before this module is even loaded.
 */
import { VERSION } from "../core/version.js";
import { parseArgs } from "./config/parse-args.js";
import { resolveSettings } from "./config/settings.js";
import { nearest } from "../core/suggest.js";
import { checkedLogFormat, requestedLogFormat, setLogFormat } from "./output/log-line.js";
import { UsageError } from "./output/usage-error.js";
import { COMMANDS, type Command, findCommand, findRawCommand } from "./registry.js";

/** What an unknown command may have been meant as: a command's first word, `help` or `version`. */
const COMMAND_WORDS = [...COMMANDS.map((c) => c.name.split(" ")[0]!), "help", "version"];

/** Splits `cache clear` style commands; returns the command and its arguments. */
function commandOf(argv: string[]): { command: Command; args: string[] } {
  const [first = "", ...rest] = argv;
  if (first === "cache") {
    const [sub, ...args] = rest;
    const command = findCommand("cache clear")!;
    if (sub === "clear") return { command, args };
    if (sub === "--help" || sub === "-h") return { command, args: ["--help"] };
    throw new UsageError(`"certcreds cache" needs a subcommand: "certcreds cache clear" deletes the cached credentials.`);
  }
  const command = findCommand(first);
  if (command === undefined) {
    const guess = nearest(first, COMMAND_WORDS);
    throw new UsageError(`unknown command "${first}".${guess ? ` Did you mean "${guess}"?` : ""} Run "certcreds --help" for the list.`);
  }
  return { command, args: rest };
}

/** A command's help page: its module holds the text. */
async function helpOf(command: Command): Promise<string> {
  const [{ commandHelp }, { doc }] = await Promise.all([import("./output/help.js"), command.load()]);
  return commandHelp(command, doc);
}

async function run(command: Command, args: string[], onDebug: (debug: boolean) => void): Promise<number> {
  const parsed = parseArgs(command.name, args);
  if (parsed.help) {
    process.stdout.write(await helpOf(command));
    return 0;
  }
  const settings = resolveSettings(command.name, parsed);
  onDebug(settings.boolean("debug"));
  // Now from the profile too; a value that is neither text nor json is refused, in text.
  setLogFormat("text");
  setLogFormat(checkedLogFormat(settings));
  return (await command.load()).run(settings);
}

/** `certcreds --log-format json <command> …`: the option is the command's, so it moves after the command's words. */
function withLeadingLogFormat(argv: string[]): string[] {
  const moved: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    if (argv[i] === "--log-format" && i + 1 < argv.length) moved.push(argv[i]!, argv[++i]!);
    else if (argv[i]!.startsWith("--log-format=")) moved.push(argv[i]!);
    else break;
  }
  const rest = argv.slice(i);
  return rest.length ? [...rest, ...moved] : rest;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 usage, 3 configuration or input). */
export async function main(commandLine: string[]): Promise<number> {
  // Until the settings are resolved (a command line that cannot be parsed is reported before), the flag or the variable.
  setLogFormat(requestedLogFormat(commandLine, process.env));
  const argv = withLeadingLogFormat(commandLine);
  const [first] = argv;
  if (first === "--version" || first === "-v" || first === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = argv[1];
    const command = first === "help" && topic !== undefined ? findCommand(topic) : undefined;
    const { mainHelp } = await import("./output/help.js");
    process.stdout.write(command ? await helpOf(command) : mainHelp(COMMANDS));
    return first === undefined ? 2 : 0;
  }
  let name: string | undefined;
  let debug = argv.includes("--debug");
  // The library's timers (retry backoff, refresh) do not hold the process open, as a library's
  // must not; a command does, until it has answered.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const raw = findRawCommand(first);
    if (raw) {
      name = raw.name;
      return await (await raw.load()).run(argv.slice(1));
    }
    const selected = commandOf(argv);
    name = selected.command.name;
    return await run(selected.command, selected.args, (value) => {
      debug = value;
    });
  } catch (error) {
    const { reportError } = await import("./output/report-error.js");
    return reportError(error, name, debug);
  } finally {
    clearInterval(keepAlive);
  }
}
