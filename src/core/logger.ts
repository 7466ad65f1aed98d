import { ConfigurationError } from "./errors.js";

/**
 * The logger shape of the AWS SDK v3 (`console` fits). certcreds never passes
 * a private key, PIN, passphrase, secret access key or session token to it.
 */
export interface Logger {
  /** Each step of a fetch: the inputs read, the endpoint, the answers. */
  debug?(...content: unknown[]): void;
  /** What a person running the program wants to know (credentials obtained, refreshed). */
  info?(...content: unknown[]): void;
  /** Something to fix that does not stop the credentials (peer verification off, a far-off clock). */
  warn?(...content: unknown[]): void;
  /** A failure. */
  error?(...content: unknown[]): void;
}

/**
 * How much certcreds tells its logger, from nothing to every step of each
 * request (the Python IoT helper's `awscrt_log_level`). Each level includes
 * the ones before it.
 */
export type LogLevel = "none" | "error" | "warn" | "info" | "debug" | "trace";

/** The IoT name of {@link LogLevel}, kept for existing code. */
export type IotLogLevel = LogLevel;

/** Severity of one line. */
export type LineLevel = Exclude<LogLevel, "none">;

const ORDER: readonly LogLevel[] = ["none", "error", "warn", "info", "debug", "trace"];

/** A logger that may also take `trace` lines (pino and winston have it; the SDK's shape does not). */
export interface TraceLogger extends Logger {
  /** The finest level: per request, what was signed or negotiated (never a secret). */
  trace?(...content: unknown[]): void;
}

/** Checks a `logLevel` option. */
export function parseLogLevel(value: unknown): LogLevel | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && (ORDER as readonly string[]).includes(value)) return value as LogLevel;
  throw new ConfigurationError("logLevel", `logLevel "${String(value)}" is not one of ${ORDER.join(", ")}.`);
}

/** Whether a logger at `level` lets a line of `line` severity through. */
export function levelAllows(level: LogLevel, line: LineLevel): boolean {
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
export function effectiveLevel(level: LogLevel | undefined, logger: Logger | undefined): LogLevel {
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
export function filterLogger(logger: TraceLogger | undefined, level: LogLevel | undefined): LevelFilteredLogger {
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

/**
 * The logger of a session: the configured one (or standard error when only
 * `logLevel` is set), else the logger of the SDK client that calls the
 * session's provider (set later through {@link SessionLogger.fallback}), and
 * in every case only the lines `logLevel` lets through — the cache's included.
 */
export class SessionLogger implements LevelFilteredLogger {
  /** The calling SDK client's logger, used when none was configured. */
  fallback: Logger | undefined;
  private readonly configured: TraceLogger | undefined;

  constructor(
    logger: TraceLogger | undefined,
    private readonly level: LogLevel | undefined,
  ) {
    this.configured = logger ?? (level !== undefined && level !== "none" ? consoleErrorLogger : undefined);
  }

  private get destination(): TraceLogger | undefined {
    return this.configured ?? this.fallback;
  }

  enabled(line: LineLevel): boolean {
    return levelAllows(effectiveLevel(this.level, this.destination), line);
  }

  private line(severity: LineLevel, content: unknown[]): void {
    if (this.enabled(severity)) emit(this.destination, severity, content);
  }

  error(...content: unknown[]): void {
    this.line("error", content);
  }
  warn(...content: unknown[]): void {
    this.line("warn", content);
  }
  info(...content: unknown[]): void {
    this.line("info", content);
  }
  debug(...content: unknown[]): void {
    this.line("debug", content);
  }
  trace(...content: unknown[]): void {
    this.line("trace", content);
  }
}

/**
 * The last argument of every certcreds log line: the event's name (the same
 * names as the observer's events and `--log-format json`) and its fields —
 * never a key, PIN, passphrase, secret access key or session token.
 */
export interface LogFields {
  event: string;
  [field: string]: string | number | boolean | null | undefined | readonly string[];
}

/** Whether a log line's last argument is certcreds' {@link LogFields}. */
export function isLogFields(value: unknown): value is LogFields {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { event?: unknown }).event === "string";
}

/**
 * Sends one line with its event name and fields as the last argument (see
 * {@link LogFields}); `trace` falls back to `debug` on a logger without it.
 */
export function logLine(logger: TraceLogger | undefined, level: LineLevel, event: string, message: string, fields: Omit<LogFields, "event"> = {}): void {
  emit(logger, level, [message, { event, ...fields }]);
}
