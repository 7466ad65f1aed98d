import { VERSION } from "../version.js";

const USAGE = `certcreds ${VERSION} — temporary AWS credentials from an X.509 certificate

Usage: certcreds <command> [options]

Commands:
  demo        Obtain credentials end to end against local emulators (no AWS account needed)

Options:
  --help, -h     Show this help
  --version, -v  Show the version
`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === "demo") {
    const { runDemo } = await import("./demo.js");
    return runDemo(rest);
  }
  process.stderr.write(`certcreds: unknown command "${command}". Run "certcreds --help" for the list.\n`);
  return 2;
}
