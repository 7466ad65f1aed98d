/**
 * Lines on standard error: text for a person (`certcreds warning: …`), or
 * with `--log-format json` one JSON object per line for a log pipeline —
 * `time` (RFC 3339 UTC with milliseconds), `level`, `event`, `message`, then
 * the event's fields. Standard output stays the command's answer. Kept
 * import-light: the warm `credential-process` path writes its lines with it.
 */
import { showValue } from "../../core/show-value.js";
import type { Settings } from "../config/settings.js";
import { UsageError } from "./usage-error.js";

/** How lines on standard error are written. */
export type LogFormat = "text" | "json";

/** The levels of `--log-format json` (the library's `trace` lines are `debug` here). */
export type CliLogLevel = "debug" | "info" | "warn" | "error";

/** An event's fields: plain values only, never a key, PIN, passphrase, secret access key or session token. */
export type LineFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

/** The values `--log-format` accepts, in the order messages list them. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const TEXT_LEVEL: Record<CliLogLevel, string> = { debug: "debug", info: "info", warn: "warning", error: "error" };

let current: LogFormat = "text";

/** A `--log-format` value as a format (case and surrounding spaces ignored); undefined when it is neither. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  if (value === undefined) return "text";
  const normalised = value.trim().toLowerCase();
  return (LOG_FORMATS as readonly string[]).includes(normalised) ? (normalised as LogFormat) : undefined;
}

/**
 * The format asked for on the command line (its last `--log-format`) or by
 * `CERTCREDS_LOG_FORMAT`, before the settings are resolved: how to report a
 * command line that cannot be parsed. An unusable value means text (the
 * settings refuse it, naming where it came from).
 */
export function requestedLogFormat(argv: readonly string[], env: NodeJS.ProcessEnv): LogFormat {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--log-format") value = argv[++i];
    else if (arg.startsWith("--log-format=")) value = arg.slice("--log-format=".length);
  }
  if (value === undefined && env.CERTCREDS_LOG_FORMAT) value = env.CERTCREDS_LOG_FORMAT;
  return parseLogFormat(value) ?? "text";
}

/** `--log-format` of the settings (flag, `CERTCREDS_LOG_FORMAT` or profile); anything but text or json is a usage error naming where it was set. */
export function checkedLogFormat(settings: Settings): LogFormat {
  const value = settings.string("log-format");
  const format = parseLogFormat(value);
  if (format === undefined) {
    throw new UsageError(`${settings.describe("log-format")} ${showValue(value)} is not a log format: use ${LOG_FORMATS.join(" or ")}.`);
  }
  return format;
}

/**
 * `--log-format` of a command that reads its own arguments (emulate, demo):
 * the flag's value, else `CERTCREDS_LOG_FORMAT` (no config-file profile).
 */
export function rawLogFormat(flag: string | undefined, env: NodeJS.ProcessEnv): LogFormat {
  const fromEnv = flag === undefined && env.CERTCREDS_LOG_FORMAT ? env.CERTCREDS_LOG_FORMAT : undefined;
  const value = flag ?? fromEnv;
  const format = parseLogFormat(value);
  if (format === undefined) {
    throw new UsageError(
      `${flag === undefined ? "CERTCREDS_LOG_FORMAT" : "--log-format"} ${showValue(value)} is not a log format: use ${LOG_FORMATS.join(" or ")}.`,
    );
  }
  return format;
}

export function setLogFormat(format: LogFormat): void {
  current = format;
}

export function logFormat(): LogFormat {
  return current;
}

/**
 * One line, newline included. Text: `text` when given (a command's own
 * wording, e.g. `certcreds update: …`), else `certcreds <level>: <message>`
 * — the fields are not shown. JSON: the reserved keys first; a field cannot
 * replace them, and undefined fields are left out.
 */
export function formatLogLine(level: CliLogLevel, event: string, message: string, fields: LineFields = {}, text?: string, format = current): string {
  if (format === "text") return `${text ?? `certcreds ${TEXT_LEVEL[level]}: ${message}`}\n`;
  const line: Record<string, unknown> = { time: new Date().toISOString(), level, event, message };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined && !Object.hasOwn(line, name)) line[name] = value;
  return `${JSON.stringify(line)}\n`;
}

/** Writes one line to standard error (see {@link formatLogLine}). */
export function writeLogLine(level: CliLogLevel, event: string, message: string, fields?: LineFields, text?: string): void {
  process.stderr.write(formatLogLine(level, event, message, fields, text));
}
