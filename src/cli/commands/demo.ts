const HELP = `certcreds demo — obtain credentials end to end against local emulators (no AWS account needed)

Usage: certcreds demo

Starts the Roles Anywhere, AWS IoT and STS emulators on 127.0.0.1 with a throwaway PKI, obtains credentials
through both mechanisms with the library, calls STS GetCallerIdentity with them through a real AWS SDK v3
client, prints each step, and stops everything. It takes no options.
`;

/**
 * `certcreds demo`: the demo lives with the emulators it drives, outside the
 * library; it is imported only when the command runs.
 */
export async function runDemo(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`certcreds demo: unknown argument "${argv[0]!.slice(0, 64)}": the demo takes no options. Run "certcreds demo --help".\n`);
    return 2;
  }
  const { runDemo: run } = await import("../../../testing/demo/run-demo.js");
  return run(argv);
}
