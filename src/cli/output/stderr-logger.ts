import { format } from "node:util";
import { isLogFields, type LogFields, type Logger } from "../../core/logger.js";
import { type CliLogLevel, writeLogLine } from "./log-line.js";

/** Events shown even where warnings are quiet: a certificate about to expire must reach the operator. */
const ALWAYS_SHOWN: ReadonlySet<string> = new Set(["certificate-expiring"]);

/** Splits a library line into its text and its fields (the last argument, when it is certcreds' LogFields). */
function lineOf(content: unknown[]): { event: string; message: string; fields: Omit<LogFields, "event"> } {
  const last = content.at(-1);
  const own = isLogFields(last) ? last : undefined;
  const parts = own ? content.slice(0, -1) : content;
  const message = format(...parts.map((item) => (item instanceof Error ? item.message : item))).replace(/^certcreds:\s*/, "");
  if (!own) return { event: "log", message, fields: {} };
  const { event, ...fields } = own;
  return { event, message, fields };
}

/**
 * The CLI's logger: warnings and errors always — for one-shot commands, which
 * report their own failure in one line, only with --debug (else a failure
 * would be printed twice: the library's line and the command's), except the
 * certificate expiry warning, always shown — info and debug lines with
 * --debug, all on standard error (standard output carries the command's
 * answer), as text or JSON lines (--log-format). The library never passes it
 * a key, PIN, passphrase, secret access key or session token.
 */
export function stderrLogger(debug: boolean, options: { quietWarnings?: boolean } = {}): Logger {
  const write = (level: CliLogLevel, content: unknown[]) => {
    const { event, message, fields } = lineOf(content);
    writeLogLine(level, event, message, fields);
  };
  const quiet = () => {};
  const loud = debug || !options.quietWarnings;
  const warning =
    (level: CliLogLevel) =>
    (...content: unknown[]) => {
      const last = content.at(-1);
      if (loud || (isLogFields(last) && ALWAYS_SHOWN.has(last.event))) write(level, content);
    };
  return {
    debug: debug ? (...content) => write("debug", content) : quiet,
    info: debug ? (...content) => write("info", content) : quiet,
    warn: warning("warn"),
    error: warning("error"),
  };
}

/** One of the CLI's own lines, with its event name (the same path as the library's lines). */
export function cliLine(
  logger: Logger,
  level: CliLogLevel,
  event: string,
  message: string,
  fields: Record<string, string | number | boolean | undefined> = {},
): void {
  logger[level]?.(message, { event, ...fields });
}
