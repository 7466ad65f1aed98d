import { ConfigurationError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";

/**
 * How much certcreds tells its logger, from nothing to every step of each
 * request (the Python helper's `awscrt_log_level`). Each level includes the
 * ones before it.
 */
export type IotLogLevel = "none" | "error" | "warn" | "info" | "debug" | "trace";

/** Severity of one line. */
export type LineLevel = Exclude<IotLogLevel, "none">;

const ORDER: readonly IotLogLevel[] = ["none", "error", "warn", "info", "debug", "trace"];

/** A logger that may also take `trace` lines (pino and winston have it; the SDK's shape does not). */
export interface TraceLogger extends Logger {
  trace?(...content: unknown[]): void;
}

/** Checks a `logLevel` option. */
export function parseLogLevel(value: unknown): IotLogLevel | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && (ORDER as readonly string[]).includes(value)) return value as IotLogLevel;
  throw new ConfigurationError("logLevel", `logLevel "${String(value)}" is not one of ${ORDER.join(", ")}.`);
}

/** Whether a logger at `level` lets a line of `line` severity through. */
export function levelAllows(level: IotLogLevel, line: LineLevel): boolean {
  return ORDER.indexOf(line) <= ORDER.indexOf(level);
}

/**
 * Where lines go when `logLevel` is set but no logger is: standard error, as
 * the Python helper's CRT logging does.
 */
export const consoleErrorLogger: TraceLogger = {
  error: (...content) => console.error(...content),
  warn: (...content) => console.error(...content),
  info: (...content) => console.error(...content),
  debug: (...content) => console.error(...content),
  trace: (...content) => console.error(...content),
};

/**
 * The default level: everything but `trace` when a logger is given (the
 * logger decides what it keeps, as with the AWS SDK), nothing otherwise.
 */
export function effectiveLevel(level: IotLogLevel | undefined, logger: Logger | undefined): IotLogLevel {
  return level ?? (logger ? "debug" : "none");
}

/** Sends one line to a logger's method for that level; `trace` falls back to `debug`. */
export function emit(logger: TraceLogger | undefined, line: LineLevel, content: unknown[]): void {
  if (!logger) return;
  if (line === "trace") (logger.trace ?? logger.debug)?.call(logger, ...content);
  else logger[line]?.call(logger, ...content);
}

/** A logger that only passes lines at its level or above, and tells which levels pass (to skip building costly lines). */
export interface LevelFilteredLogger extends Required<TraceLogger> {
  enabled(line: LineLevel): boolean;
}

/**
 * A logger that passes on only lines at `level` or more severe. With a level
 * but no logger, lines go to standard error.
 */
export function filterLogger(logger: TraceLogger | undefined, level: IotLogLevel | undefined): LevelFilteredLogger {
  const target = logger ?? (level !== undefined && level !== "none" ? consoleErrorLogger : undefined);
  const threshold = effectiveLevel(level, target);
  const enabled = (severity: LineLevel) => levelAllows(threshold, severity);
  const line =
    (severity: LineLevel) =>
    (...content: unknown[]) => {
      if (enabled(severity)) emit(target, severity, content);
    };
  return { enabled, error: line("error"), warn: line("warn"), info: line("info"), debug: line("debug"), trace: line("trace") };
}
