import { certcredsCommand } from "../aws-config/credential-process-command.js";
import { parseEmulateArguments } from "../emulate/arguments.js";
import { prepareDirectory, writeEmulateFiles } from "../emulate/files.js";
import { guide } from "../emulate/guide.js";
import { setLogFormat, writeLogLine } from "../output/log-line.js";
import { CliConfigurationError } from "../output/usage-error.js";

const HELP = `certcreds emulate — run the emulators with a throwaway PKI and write the files and profiles to try every command

Usage: certcreds emulate --dir <dir> [--port <port>] [--log-format <text|json>]

Starts the IAM Roles Anywhere, AWS IoT and STS emulators on 127.0.0.1 with a new throwaway PKI, writes into
<dir> the certificates and keys (keys mode 0600), env (shell export lines: ARNs, endpoints, role alias, thing
name, file paths, region, AWS_ENDPOINT_URL_STS, AWS_CONFIG_FILE...) and aws-config (profiles
certcreds-roles-anywhere and certcreds-iot using credential_process, STS sent to the emulator), prints
commands to try, and runs until SIGINT (Ctrl-C) or SIGTERM. No AWS account is needed; nothing leaves this
machine. Every start rewrites those files: the ports and the PKI are new each time.

Options:
  --dir <dir>
      where to write the files (created, mode 0700, when missing)
  --port <port>
      the first of three ports: Roles Anywhere listens on it, IoT on the next, STS on the one after
      (default: free ports)
  --log-format <text|json>
      lines on standard error as text (default) or one JSON object each [CERTCREDS_LOG_FORMAT]
  --help, -h
      this help

Examples:
  certcreds emulate --dir ./emulate
  # then, in another shell:
  . ./emulate/env
  aws sts get-caller-identity --profile certcreds-iot

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage error, 3 unusable --dir or --port.
`;

/** Stops on SIGINT or SIGTERM, whichever comes first. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** The emulators could not listen: a port of --port in use, most likely. */
function listenError(error: unknown, port: number): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE" || code === "EACCES") {
    const which = port === 0 ? "a free port" : `ports ${port}–${port + 2}`;
    return new CliConfigurationError(
      `cannot listen on ${which} of 127.0.0.1 (${code === "EADDRINUSE" ? "in use" : "not allowed"}): pass another --port, or leave it out for free ports.`,
    );
  }
  return error as Error;
}

/**
 * `certcreds emulate`: the emulators live in testing/, outside the library;
 * they are imported only when the command runs.
 */
export async function runEmulate(argv: string[]): Promise<number> {
  const args = parseEmulateArguments(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  setLogFormat(args.logFormat);
  prepareDirectory(args.dir);
  const command = certcredsCommand();
  // Handlers first: a signal during start-up then stops the emulators as soon as they are up, through close().
  const stopped = untilSignal();
  const { startEmulatorWorld } = await import("../../../testing/demo/emulator-world.js");
  const ports = args.port === 0 ? {} : { rolesAnywhere: args.port, iot: args.port + 1, sts: args.port + 2 };
  const world = await startEmulatorWorld(ports).catch((error: unknown) => {
    throw listenError(error, args.port);
  });
  try {
    writeEmulateFiles(args.dir, world);
    process.stdout.write(guide(args.dir, world, command));
    const signal = await stopped;
    writeLogLine("info", "emulate-stopping", `${signal}: stopping the emulators`, { signal }, `certcreds emulate: ${signal}: stopping the emulators`);
    return 0;
  } finally {
    await world.close();
  }
}
