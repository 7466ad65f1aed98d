import type { Clock } from "../core/clock.js";
import { ConfigurationError } from "../core/errors.js";
import { type LogLevel, parseLogLevel, type TraceLogger } from "../core/logger.js";
import { showValue } from "../core/show-value.js";
import type { RetryOptions } from "../transport/retry.js";

/** Options every mechanism takes besides the identity and its own. */
export interface MechanismOptions {
  /** Deadline of one HTTP attempt in ms (default 10000). */
  timeoutMs?: number;
  /** HTTP proxy for a CONNECT tunnel; default `HTTPS_PROXY` unless `NO_PROXY` matches; `false` disables. */
  proxy?: string | URL | false;
  /** Retries of network errors, throttling and 5xx. */
  retry?: RetryOptions;
  /** Where log lines go (console fits). Never receives keys or credentials. */
  logger?: TraceLogger;
  /**
   * Which lines reach the logger, from `none` to `trace`. Default `debug` with a logger, `none` without;
   * set without a logger, lines go to standard error.
   */
  logLevel?: LogLevel;
  /** Time source (tests pass a fake one). */
  clock?: Clock;
}

/** The common options after checking. */
export interface CheckedMechanismOptions {
  timeoutMs: number;
  logLevel: LogLevel | undefined;
}

/** Checks the options every mechanism shares; a ConfigurationError names the option. */
export function checkMechanismOptions(init: MechanismOptions): CheckedMechanismOptions {
  const timeoutMs = init.timeoutMs ?? 10_000;
  // Infinity would mean a request that may hang for ever: every wait is bounded.
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new ConfigurationError("timeoutMs", `timeoutMs ${showValue(init.timeoutMs)} is not a positive number of milliseconds.`);
  }
  return { timeoutMs, logLevel: parseLogLevel(init.logLevel) };
}

/** The option names of {@link MechanismOptions}. */
export const MECHANISM_OPTIONS: readonly (keyof MechanismOptions)[] = ["timeoutMs", "proxy", "retry", "logger", "logLevel", "clock"];
