import { type ExpiringCertificate, ExpiryReminder } from "../../cache/expiry-reminder.js";
import type { CertificateInfo } from "../../core/events.js";
import { readExpiryRecord } from "./cache-expiry.js";
import { removeExpiryRecord, writeExpiryRecord } from "./cache-write.js";

/** The certificates credentials were obtained with, and the mechanism's name. */
export interface KnownCertificates {
  mechanism: string;
  certificates: readonly CertificateInfo[];
}

/**
 * One run's share of the expiry reminder of a process that runs once per
 * AWS call: the reminder restored from the record (`file`, beside the cache
 * entry), told the certificates just fetched with — or, answered from the
 * cache, those the record kept — and its new state kept for the next run
 * (the record deleted once nothing is inside the threshold: renewed, or the
 * warnings off). Without a file (--no-cache) nothing is kept: every run
 * warns. Returns what is due now; `keepError` when the record could not be
 * written (the warning then repeats at the next run).
 */
export function dueAcrossRuns(
  file: string | undefined,
  fetched: KnownCertificates | undefined,
  thresholdDays: number,
  now: number,
): { due: ExpiringCertificate[]; mechanism: string; keepError?: Error } | undefined {
  const record = file ? readExpiryRecord(file) : undefined;
  const known: KnownCertificates | undefined =
    fetched ??
    (record && {
      mechanism: record.mechanism,
      certificates: record.certificates.map((certificate) => ({ ...certificate, notAfter: new Date(certificate.notAfter) })),
    });
  if (!known) return undefined;
  const reminder = new ExpiryReminder(thresholdDays, record?.warned ?? {});
  const due = reminder.due(known.certificates, now);
  if (!file) return { due, mechanism: known.mechanism };
  try {
    const next = reminder.nextDueAt(known.certificates, now);
    if (reminder.expiring(known.certificates, now).length === 0 || next === undefined) {
      removeExpiryRecord(file);
    } else {
      writeExpiryRecord(file, {
        v: 1,
        thresholdDays,
        nextAt: next,
        mechanism: known.mechanism,
        certificates: known.certificates.map((certificate) => ({ ...certificate, notAfter: certificate.notAfter.toISOString() })),
        warned: reminder.snapshot(),
      });
    }
  } catch (error) {
    return { due, mechanism: known.mechanism, keepError: error as Error };
  }
  return { due, mechanism: known.mechanism };
}
