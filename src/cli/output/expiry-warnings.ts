import { eventLine } from "../../cache/event-log.js";
import { type ExpiringCertificate, ExpiryReminder, MAX_EXPIRY_WARNING_DAYS, type ReminderState } from "../../cache/expiry-reminder.js";
import type { CertificateInfo } from "../../core/events.js";
import type { Logger } from "../../core/logger.js";
import { rfc3339 } from "../../surfaces/credential-process/rfc3339.js";
import type { Settings } from "../config/settings.js";
import { warningDaysSetting } from "../fs/cached-answer.js";
import { CliConfigurationError } from "./usage-error.js";

const DAY = 86_400_000;

/** `--expiry-warning-days` (default 30), refused outside 0–3650 naming where it was set. */
export function warningDays(settings: Settings): number {
  const days = warningDaysSetting(settings);
  if (days === undefined) {
    throw new CliConfigurationError(
      `${settings.describe("expiry-warning-days")} ${settings.integer("expiry-warning-days")} is not a number of days from 0 (no warning) to ${MAX_EXPIRY_WARNING_DAYS}.`,
    );
  }
  return days;
}

/** Writes the `certificate-expiring` line of one certificate, as the library's sessions do. */
export function warnExpiring(logger: Logger, entry: ExpiringCertificate, thresholdDays: number, mechanism: string | undefined, now: number): void {
  const { level, message, fields } = eventLine({ type: "certificate-expiring", time: new Date(now), mechanism: mechanism ?? "", ...entry, thresholdDays });
  logger[level]?.(message, { ...fields, mechanism });
}

/**
 * Warns about the certificates due a warning under `state` (when each was
 * last warned about), and returns the reminder that holds the new state.
 */
export function warnDue(
  logger: Logger,
  certificates: readonly CertificateInfo[],
  options: { thresholdDays: number; state?: ReminderState; mechanism?: string; now: number },
): ExpiryReminder {
  const reminder = new ExpiryReminder(options.thresholdDays, options.state ?? {});
  for (const entry of reminder.due(certificates, options.now)) warnExpiring(logger, entry, options.thresholdDays, options.mechanism, options.now);
  return reminder;
}

/** `12 days`, `1 day`, `less than a day`, `expired`. */
function left(notAfter: Date, now: number): string {
  const ms = notAfter.getTime() - now;
  if (ms <= 0) return "expired";
  const days = Math.floor(ms / DAY);
  return days === 0 ? "less than a day" : days === 1 ? "1 day" : `${days} days`;
}

/**
 * What `doctor` says of each certificate's end: days left for the leaf and
 * each intermediate, and which are inside the warning threshold.
 */
export function daysLeftReport(certificates: readonly CertificateInfo[], thresholdDays: number, now: number): { expiring: boolean; detail: string } {
  const expiring = new ExpiryReminder(thresholdDays).expiring(certificates, now);
  const soon = new Set(expiring.map((entry) => entry.certificate.fingerprint256));
  const parts = certificates.map((certificate) => {
    const what = certificate.role === "leaf" ? "certificate" : `intermediate ${certificate.index}`;
    const flag = soon.has(certificate.fingerprint256) ? ` — inside the ${thresholdDays}-day warning threshold` : "";
    return `${what} "${certificate.subject}" ${left(certificate.notAfter, now)} left (until ${rfc3339(certificate.notAfter)})${flag}`;
  });
  const advice = expiring.length ? ": renew with your CA and install the new one where certcreds reads it" : "";
  return { expiring: expiring.length > 0, detail: `${parts.join("; ")}${advice}` };
}
