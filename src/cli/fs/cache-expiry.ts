import { join } from "node:path";
import type { ReminderState } from "../../cache/expiry-reminder.js";
import { readPrivateJson } from "./cache-read.js";

/** A certificate as the record keeps it: public facts only, `notAfter` as RFC 3339. */
export interface RecordedCertificate {
  role: "leaf" | "intermediate";
  index: number;
  subject: string;
  serialNumber: string;
  fingerprint256: string;
  notAfter: string;
}

/**
 * The expiry reminder of one `credential-process` configuration, beside its
 * cache entry: `credential-process` runs once per AWS call, so without it an
 * expiring certificate would be warned about at every call, or never. Kept
 * only while a certificate is inside the threshold; nothing secret in it.
 * Read on the warm path (no node:crypto here: writing is in cache-write.ts).
 */
export interface ExpiryRecord {
  v: 1;
  /** The threshold it was computed with: another one means computing again. */
  thresholdDays: number;
  /** When the next warning is due (epoch ms): the warm path compares the clock with this number alone. */
  nextAt: number;
  mechanism: string;
  /** The certificates of the last fetch, leaf first. */
  certificates: RecordedCertificate[];
  /** When each was last warned about, by fingerprint. */
  warned: ReminderState;
}

/** `<key>.expiry.json` beside `<key>.json`. */
export function expiryFile(directory: string, key: string): string {
  return join(directory, `${key}.expiry.json`);
}

function validCertificate(value: unknown): value is RecordedCertificate {
  const c = value as RecordedCertificate | null;
  return (
    (c?.role === "leaf" || c?.role === "intermediate") &&
    Number.isInteger(c.index) &&
    [c.subject, c.serialNumber, c.fingerprint256, c.notAfter].every((field) => typeof field === "string") &&
    !Number.isNaN(Date.parse(c.notAfter))
  );
}

function validWarned(value: unknown): value is ReminderState {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  return Object.values(value).every((entry) => typeof entry?.at === "number" && typeof entry?.stage === "number");
}

/** Reads a record with the cache's checks (this user's alone, no symbolic link); anything unexpected counts as absent. */
export function readExpiryRecord(file: string): ExpiryRecord | undefined {
  const record = readPrivateJson(file) as ExpiryRecord | undefined;
  if (record?.v !== 1 || typeof record.thresholdDays !== "number" || typeof record.nextAt !== "number" || typeof record.mechanism !== "string") {
    return undefined;
  }
  if (!Array.isArray(record.certificates) || !record.certificates.every(validCertificate) || !validWarned(record.warned)) return undefined;
  return record;
}

/** Whether the record says a warning is due: its time has come, or the threshold changed. No record: nothing is due. */
export function expiryReminderDue(record: ExpiryRecord | undefined, thresholdDays: number, now: number): boolean {
  return record !== undefined && (record.thresholdDays !== thresholdDays || now >= record.nextAt);
}
