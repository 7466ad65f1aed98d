import type { CertificateInfo } from "../core/events.js";
import { ConfigurationError } from "../core/errors.js";

const DAY = 86_400_000;

/** The default warning threshold: a month ahead, time enough to renew through a CA's process. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

/** A certificate that expires within the threshold. */
export interface ExpiringCertificate {
  certificate: CertificateInfo;
  /** Whole days left (0 on the last day). */
  daysLeft: number;
}

/** When each certificate was last warned about, by fingerprint: kept across processes by one-shot commands. */
export type ReminderState = Record<string, { at: number; stage: number }>;

/** The largest threshold accepted: ten years. */
export const MAX_EXPIRY_WARNING_DAYS = 3650;

/** Whole days until `notAfter` (0 on the last day, and after it). */
export function daysLeft(notAfter: Date, now: number): number {
  return Math.max(0, Math.floor((notAfter.getTime() - now) / DAY));
}

/** Checks an `expiryWarningDays` option (0 turns the warnings off). */
export function checkedWarningDays(value: unknown, name = "expiryWarningDays"): number {
  if (value === undefined) return DEFAULT_EXPIRY_WARNING_DAYS;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_EXPIRY_WARNING_DAYS) {
    throw new ConfigurationError(name, `${name} ${String(value)} is not a number of days from 0 (no warning) to ${MAX_EXPIRY_WARNING_DAYS}.`);
  }
  return value;
}

/** 0 inside the threshold, 1 with fewer than 7 days left, 2 with less than one: each stage is warned about at once. */
function stageOf(msLeft: number): number {
  return msLeft < DAY ? 2 : msLeft < 7 * DAY ? 1 : 0;
}

/**
 * Decides when a certificate close to its end is worth a warning: at the
 * first refresh that sees it inside the threshold, then at most once a day,
 * and at once when fewer than 7 days and then less than one day are left.
 * A certificate renewed on disk (another fingerprint, far from its end) has
 * nothing to warn about, and its predecessor's record is dropped.
 */
export class ExpiryReminder {
  private state: ReminderState;
  /** What the last {@link due} found inside the threshold. */
  private inside: ExpiringCertificate[] = [];

  constructor(
    private readonly thresholdDays: number = DEFAULT_EXPIRY_WARNING_DAYS,
    state: ReminderState = {},
  ) {
    this.state = { ...state };
  }

  /** The certificates inside the threshold at `now`, leaf first. */
  expiring(certificates: readonly CertificateInfo[], now: number): ExpiringCertificate[] {
    if (this.thresholdDays <= 0) return [];
    return certificates
      .filter((certificate) => certificate.notAfter.getTime() - now < this.thresholdDays * DAY)
      .map((certificate) => ({ certificate, daysLeft: daysLeft(certificate.notAfter, now) }));
  }

  /** Those of {@link expiring} due a warning now; records them as warned, and all of them as {@link current}. */
  due(certificates: readonly CertificateInfo[], now: number): ExpiringCertificate[] {
    const expiring = this.expiring(certificates, now);
    this.inside = expiring;
    const next: ReminderState = {};
    const due: ExpiringCertificate[] = [];
    for (const entry of expiring) {
      const key = entry.certificate.fingerprint256;
      const stage = stageOf(entry.certificate.notAfter.getTime() - now);
      const last = this.state[key];
      if (last === undefined || now - last.at >= DAY || stage > last.stage) {
        due.push(entry);
        next[key] = { at: now, stage };
      } else {
        next[key] = last;
      }
    }
    this.state = next;
    return due;
  }

  /**
   * The first time after `now` at which {@link due} would warn about one of
   * these certificates, as the state stands (undefined: never, the warnings
   * are off). A process that keeps the state between runs compares the
   * clock with this one number instead of parsing certificates each time.
   */
  nextDueAt(certificates: readonly CertificateInfo[], now: number): number | undefined {
    if (this.thresholdDays <= 0) return undefined;
    let next: number | undefined;
    const consider = (at: number) => {
      next = next === undefined ? at : Math.min(next, at);
    };
    for (const certificate of certificates) {
      const end = certificate.notAfter.getTime();
      const last = this.state[certificate.fingerprint256];
      if (end - now >= this.thresholdDays * DAY) {
        // Enters the threshold later (the first millisecond with less than the threshold left).
        consider(end - this.thresholdDays * DAY + 1);
      } else if (last === undefined) {
        consider(now);
      } else {
        consider(last.at + DAY);
        if (last.stage < 1) consider(end - 7 * DAY + 1);
        if (last.stage < 2) consider(end - DAY + 1);
      }
    }
    return next === undefined ? undefined : Math.max(now, next);
  }

  /** The certificates inside the threshold as of the last {@link due} (empty once renewed). */
  get current(): readonly ExpiringCertificate[] {
    return this.inside;
  }

  /** What to keep for the next process (one-shot commands). */
  snapshot(): ReminderState {
    return { ...this.state };
  }

  /** The threshold in days. */
  get days(): number {
    return this.thresholdDays;
  }
}

/** One line for a warning, naming the certificate and what to do. */
export function expiryMessage(entry: ExpiringCertificate): string {
  const { certificate, daysLeft } = entry;
  const what = certificate.role === "leaf" ? "certificate" : `intermediate certificate ${certificate.index}`;
  const left = daysLeft === 0 ? "less than a day" : daysLeft === 1 ? "1 day" : `${daysLeft} days`;
  return `the ${what} "${certificate.subject}" (serial ${certificate.serialNumber}) expires at ${certificate.notAfter.toISOString()}, in ${left}: renew it with your CA and install the new one where certcreds reads it (it is picked up at the next refresh).`;
}
