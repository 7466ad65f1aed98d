/**
 * The `credential_process` value of an AWS config profile: the command line
 * the AWS CLI and SDKs run to get credentials. botocore splits it with
 * Python's `shlex.split` (POSIX rules), the SDK for JavaScript and others
 * hand it to `/bin/sh -c`: both read single quotes the same way, so every
 * argument that is not made only of safe characters is single-quoted.
 */
import { realpathSync, statSync } from "node:fs";
import { CliConfigurationError } from "../output/usage-error.js";

/** Characters both shlex and sh take literally outside quotes (Python's `shlex.quote` safe set). */
const SAFE = /^[\w@%+=:,./-]+$/;

/** One argument as sh and shlex read it back unchanged: as is when safe, else in single quotes (`'` written as `'"'"'`). */
export function shellQuote(argument: string): string {
  if (SAFE.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'"'"'`)}'`;
}

/**
 * The running certcreds as a command: the absolute path of the Node binary
 * and of the script, symlinks resolved — a global install's
 * `/usr/local/bin/certcreds`, a local `node_modules/.bin/certcreds` and
 * npx's cached copy all become the package's own bin file, which runs
 * without PATH and from any directory.
 */
export function certcredsCommand(): [string, string] {
  const script = process.argv[1];
  let real: string | undefined;
  try {
    real = script === undefined ? undefined : realpathSync(script);
  } catch {
    real = undefined;
  }
  if (real === undefined || !statSync(real).isFile()) {
    throw new CliConfigurationError(
      `cannot tell which file certcreds runs from (${script ?? "no script path"}): run it as "certcreds" or "node <path>/bin/certcreds.js".`,
    );
  }
  return [process.execPath, real];
}

/**
 * The whole `credential_process` value: certcreds, `credential-process` and
 * `args`, each quoted as needed. Refused when an SDK would read it wrong: the
 * SDK for JavaScript ends a value at ` #` or ` ;` (a comment), and a line
 * break would end the line.
 */
export function credentialProcessValue(args: readonly string[], command: readonly string[] = certcredsCommand()): string {
  const value = [...command, "credential-process", ...args].map(shellQuote).join(" ");
  if (/\s[#;]/.test(value)) {
    throw new CliConfigurationError(
      `a path or value holds " #" or " ;", which the AWS SDK for JavaScript reads as the start of a comment in the config file: rename it (${/\s[#;].{0,20}/.exec(value)![0]}…).`,
    );
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new CliConfigurationError("a path or value holds a line break or another control character, which cannot stand in the config file: rename it.");
  }
  return value;
}
