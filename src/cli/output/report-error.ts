import { InputError } from "../../core/errors.js";
import { logFormat, writeLogLine } from "./log-line.js";

/** Exit codes, documented in `certcreds --help` and README (Exit codes). */
export const EXIT = { ok: 0, failure: 1, usage: 2, configuration: 3 } as const;

/**
 * 2 for usage errors, 3 for the "fix your inputs" family ({@link InputError}:
 * options, certificates, keys, tokens), 1 for everything else (the service
 * or the network failed). The class decides, so a new error type needs no
 * entry here.
 */
export function exitCodeFor(error: unknown): number {
  const own = (error as { exitCode?: unknown })?.exitCode;
  if (typeof own === "number") return own;
  return error instanceof InputError ? EXIT.configuration : EXIT.failure;
}

/**
 * A message as one line a terminal shows as is: line breaks (any kind) become
 * a space, other control characters (a user's value may hold an escape
 * sequence) are written as `\u001b`.
 */
function oneLine(message: string): string {
  return message
    .replace(/\s*[\r\n\u2028\u2029\u0085]+\s*/g, " ")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The library's option names and the flags a user types for them. */
const FLAG_OF_OPTION: Record<string, string> = {
  trustAnchorArn: "--trust-anchor-arn",
  profileArn: "--profile-arn",
  roleArn: "--role-arn",
  durationSeconds: "--session-duration",
  roleSessionName: "--role-session-name",
  roleAlias: "--role-alias",
  thingName: "--thing-name",
  privateKey: "--private-key",
  certificateChain: "--intermediates",
  caBundle: "--ca-cert",
  rejectUnauthorized: "--no-verify-ssl",
  verifyPeer: "--no-verify-ssl",
  region: "--region",
  endpoint: "--endpoint",
  certificate: "--certificate",
  passphrase: "--pkcs8-password",
  ca: "--ca-cert",
  expiryWarningDays: "--expiry-warning-days",
};

/**
 * A library message in the words of the command line: `durationSeconds 100 is out of range` becomes
 * `--session-duration 100 is out of range`, `certificate file x does not exist` becomes `--certificate file x
 * does not exist`. Option names made of several words are replaced wherever they stand; a one-word name
 * (`region`) only where the message begins with the input the error is about, since it is also plain prose.
 */
export function inFlagTerms(error: unknown, message: string): string {
  if (!(error instanceof InputError)) return message;
  let text = message;
  const about = (error as { option?: unknown; input?: unknown }).option ?? (error as { input?: unknown }).input;
  const own = typeof about === "string" ? FLAG_OF_OPTION[about] : undefined;
  if (own && text.startsWith(`${about} `)) text = `${own}${text.slice((about as string).length)}`;
  return text.replace(/\b([a-z]+[A-Z][A-Za-z]*)\b/g, (word: string) => FLAG_OF_OPTION[word] ?? word);
}

/**
 * Prints one line on standard error: what went wrong and what to do (the
 * library's messages carry both and never hold secrets). Returns the exit code.
 * With --log-format json it is a `command-failed` event (the stack, with
 * --debug, a field of it rather than lines of its own).
 */
export function reportError(error: unknown, command: string | undefined, debug: boolean): number {
  const where = command ? `certcreds ${command}` : "certcreds";
  const known = (error as { code?: unknown })?.code;
  const message = inFlagTerms(error, error instanceof Error ? error.message : String(error));
  const isOurs = (typeof known === "string" && known.startsWith("ERR_CERTCREDS")) || typeof (error as { exitCode?: unknown })?.exitCode === "number";
  const hint = isOurs || debug ? "" : " (run again with --debug for details)";
  const exitCode = exitCodeFor(error);
  const stack = debug && !isOurs && error instanceof Error && error.stack ? error.stack : undefined;
  const text = `${where}: ${oneLine(message)}${hint}`;
  if (logFormat() === "text") {
    process.stderr.write(`${text}\n`);
    if (stack) process.stderr.write(`${stack}\n`);
    return exitCode;
  }
  writeLogLine("error", "command-failed", `${oneLine(message)}${hint}`, {
    command,
    code: typeof known === "string" ? known : undefined,
    errorName: error instanceof Error ? error.name : undefined,
    exitCode,
    stack,
  });
  return exitCode;
}
