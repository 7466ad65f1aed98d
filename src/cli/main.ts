/**
 * The `certcreds` command line (ES module bundle dist/cli/certcreds.mjs).
 * It statically holds only flag parsing and the warm path of
 * `credential-process`; every subcommand is imported lazily so that it lands
 * in its own chunk. The CommonJS launcher (launcher.ts) answers warm
 * `credential-process` calls before this module is even loaded.
 */
import { VERSION } from "../core/version.js";
import { COMMAND_FLAGS } from "./config/flags.js";
import { selectMechanism } from "./config/mechanism.js";
import { parseArgs } from "./config/parse-args.js";
import { resolveSettings } from "./config/settings.js";
import { nearest } from "./config/suggest.js";
import { UsageError } from "./output/usage-error.js";
import { cachedAnswer } from "./warm-path.js";

const COMMANDS = ["credential-process", "serve", "update", "sign-string", "read-certificate-data", "doctor", "demo", "cache", "help", "version"];

/** Splits `cache clear` style commands; returns the command name used in COMMAND_FLAGS and its arguments. */
function commandOf(argv: string[]): { name: string; args: string[] } {
  const [first = "", ...rest] = argv;
  if (first === "cache") {
    const [sub, ...args] = rest;
    if (sub === "clear") return { name: "cache clear", args };
    if (sub === "--help" || sub === "-h") return { name: "cache clear", args: ["--help"] };
    throw new UsageError(`"certcreds cache" needs a subcommand: "certcreds cache clear" deletes the cached credentials.`);
  }
  if (!Object.hasOwn(COMMAND_FLAGS, first)) {
    const guess = nearest(first, COMMANDS);
    throw new UsageError(`unknown command "${first}".${guess ? ` Did you mean "${guess}"?` : ""} Run "certcreds --help" for the list.`);
  }
  return { name: first, args: rest };
}

async function run(name: string, args: string[], onDebug: (debug: boolean) => void): Promise<number> {
  const parsed = parseArgs(name, args);
  if (parsed.help) {
    const { commandHelp } = await import("./output/help.js");
    process.stdout.write(commandHelp(name));
    return 0;
  }
  const settings = resolveSettings(name, parsed);
  onDebug(settings.boolean("debug"));
  switch (name) {
    case "credential-process": {
      const mechanism = selectMechanism(settings);
      const { key, output } = cachedAnswer(settings, mechanism);
      if (output !== undefined) {
        process.stdout.write(output);
        return 0;
      }
      const { runCredentialProcess } = await import("./commands/credential-process.js");
      return runCredentialProcess(settings, mechanism, key);
    }
    case "serve": {
      const { runServe } = await import("./commands/serve.js");
      return runServe(settings, selectMechanism(settings));
    }
    case "update": {
      const { runUpdate } = await import("./commands/update.js");
      return runUpdate(settings, selectMechanism(settings));
    }
    case "doctor": {
      const { runDoctor } = await import("./commands/doctor.js");
      return runDoctor(settings);
    }
    case "sign-string": {
      const { runSignString } = await import("./commands/sign-string.js");
      return runSignString(settings);
    }
    case "read-certificate-data": {
      const { runReadCertificateData } = await import("./commands/read-certificate-data.js");
      return runReadCertificateData(settings);
    }
    case "cache clear": {
      const { runCacheClear } = await import("./commands/cache-clear.js");
      return runCacheClear(settings);
    }
    default:
      throw new UsageError(`unknown command "${name}". Run "certcreds --help" for the list.`);
  }
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 usage, 3 configuration or input). */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const { mainHelp, commandHelp } = await import("./output/help.js");
    const topic = argv[1];
    process.stdout.write(command === "help" && topic !== undefined && Object.hasOwn(COMMAND_FLAGS, topic) ? commandHelp(topic) : mainHelp());
    return command === undefined ? 2 : 0;
  }
  if (command === "demo") {
    const { runDemo } = await import("./commands/demo.js");
    return runDemo(argv.slice(1));
  }
  let name: string | undefined;
  let debug = argv.includes("--debug");
  // The library's timers (retry backoff, refresh) do not hold the process open, as a library's
  // must not; a command does, until it has answered.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const selected = commandOf(argv);
    name = selected.name;
    return await run(selected.name, selected.args, (value) => {
      debug = value;
    });
  } catch (error) {
    const { reportError } = await import("./output/report-error.js");
    return reportError(error, name, debug);
  } finally {
    clearInterval(keepAlive);
  }
}
