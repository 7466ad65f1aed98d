import { rawLogFormat, setLogFormat, writeLogLine } from "../output/log-line.js";

const HELP = `certcreds demo — obtain credentials end to end against local emulators (no AWS account needed)

Usage: certcreds demo [--log-format <text|json>]

Starts the Roles Anywhere, AWS IoT and STS emulators on 127.0.0.1 with a throwaway PKI, obtains credentials
through both mechanisms with the library, calls STS GetCallerIdentity with them through a real AWS SDK v3
client, prints each step, and stops everything. Its only option is --log-format (or CERTCREDS_LOG_FORMAT): how
lines on standard error are written, as text (default) or one JSON object each.
`;

/** The value of `--log-format F` or `--log-format=F`, the demo's only option, or the first argument that is not it. */
function logFormatArgument(argv: string[]): { value: string | undefined } | { unknown: string } {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--log-format" && i + 1 < argv.length) value = argv[++i];
    else if (arg.startsWith("--log-format=")) value = arg.slice("--log-format=".length);
    else return { unknown: arg };
  }
  return { value };
}

/**
 * `certcreds demo`: the demo lives with the emulators it drives, outside the
 * library; it is imported only when the command runs.
 */
export async function runDemo(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  const parsed = logFormatArgument(argv);
  if ("unknown" in parsed) {
    const message = `unknown argument "${parsed.unknown.slice(0, 64)}": the demo takes only --log-format. Run "certcreds demo --help".`;
    writeLogLine("error", "command-failed", message, { command: "demo", exitCode: 2 }, `certcreds demo: ${message}`);
    return 2;
  }
  setLogFormat(rawLogFormat(parsed.value, process.env));
  const { runDemo: run } = await import("../../../testing/demo/run-demo.js");
  return run([]);
}
