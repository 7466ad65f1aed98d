import type { CredentialEvent } from "../core/events.js";
import type { LevelFilteredLogger, LogFields, Logger } from "../core/logger.js";
import { expiryMessage } from "./expiry-reminder.js";

function errorFields(error: Error | undefined): { error?: string; code?: string } {
  if (!error) return {};
  const code = (error as { code?: unknown }).code;
  return { error: error.message, ...(typeof code === "string" ? { code } : {}) };
}

/** The log line of an event: its level, its message as before, and its fields with the event's name. */
export function eventLine(event: CredentialEvent): { level: "debug" | "warn"; message: string; fields: LogFields } {
  const base = { mechanism: event.mechanism };
  switch (event.type) {
    case "refresh-started":
      return {
        level: eventLevel(event),
        message: `certcreds: ${event.mechanism} refresh started${event.background ? " (valid credentials still cached)" : ""}`,
        fields: { event: event.type, ...base, background: event.background },
      };
    case "refresh-succeeded":
      return {
        level: eventLevel(event),
        message: `certcreds: ${event.mechanism} credentials obtained, expire at ${event.expiration.toISOString()}, next refresh at ${event.nextRefreshAt.toISOString()}`,
        fields: {
          event: event.type,
          ...base,
          outcome: event.outcome,
          durationMs: event.durationMs,
          expiration: event.expiration.toISOString(),
          nextRefreshAt: event.nextRefreshAt.toISOString(),
        },
      };
    case "refresh-failed":
      return {
        level: eventLevel(event),
        message: `certcreds: ${event.mechanism} credential refresh failed: ${event.error.message}`,
        fields: {
          event: event.type,
          ...base,
          outcome: event.outcome,
          durationMs: event.durationMs,
          ...errorFields(event.error),
          validUntil: event.validUntil?.toISOString(),
          nextAttemptAt: event.nextAttemptAt.toISOString(),
        },
      };
    case "served-while-stale":
      return {
        level: eventLevel(event),
        message: `certcreds: ${event.mechanism} ${event.error ? "refresh failed" : "refresh is slow"} inside the mandatory window; serving credentials valid until ${event.expiration.toISOString()}${event.error ? `: ${event.error.message}` : ""}`,
        fields: { event: event.type, ...base, expiration: event.expiration.toISOString(), ...errorFields(event.error) },
      };
    case "certificate-expiring":
      return {
        level: eventLevel(event),
        message: `certcreds: ${expiryMessage(event)}`,
        fields: {
          event: event.type,
          ...base,
          certificate: event.certificate.role,
          index: event.certificate.index,
          subject: event.certificate.subject,
          serialNumber: event.certificate.serialNumber,
          notAfter: event.certificate.notAfter.toISOString(),
          daysLeft: event.daysLeft,
          thresholdDays: event.thresholdDays,
        },
      };
  }
}

/** The level of an event's line (eventLine's), known without building the line. */
function eventLevel(event: CredentialEvent): "debug" | "warn" {
  return event.type === "refresh-started" || event.type === "refresh-succeeded" ? "debug" : "warn";
}

/** Writes an event's line to a logger; a logger that filters by level and would drop it is not handed one (building it is most of a fetch's logging cost). */
export function logEvent(logger: Logger | undefined, event: CredentialEvent): void {
  if (!logger) return;
  if (typeof (logger as Partial<LevelFilteredLogger>).enabled === "function" && !(logger as LevelFilteredLogger).enabled(eventLevel(event))) return;
  const { level, message, fields } = eventLine(event);
  logger[level]?.(message, fields);
}
