import { daysLeft, type ExpiringCertificate, expiryMessage } from "../../cache/expiry-reminder.js";
import type { CertificateInfo } from "../../core/events.js";
import { rfc3339 } from "../credential-process/rfc3339.js";

/** What serve reads of the session besides credentials (the library's CredentialSession fits). */
export interface SessionFigures {
  /** Expiration of the credentials held, without fetching. */
  readonly expiration?: Date | undefined;
  /** When the last fetch succeeded. */
  readonly lastSuccess?: Date | undefined;
  /** Callers that joined a fetch under way instead of making their own: upstream calls saved. */
  readonly joinedFetchCount?: number;
  /** The certificate and its intermediates as the last fetch loaded them. */
  certificates?(): readonly CertificateInfo[];
  /** Those inside the expiry warning threshold, as of the last fetch (empty once renewed). */
  expiringCertificates?(): readonly ExpiringCertificate[];
}

/** One certificate close to its end, as /healthz lists it: who it is, when it ends, what to do. */
export interface CertificateWarning {
  certificate: "leaf" | "intermediate";
  /** Position in the chain: 0 for the leaf, 1 for its issuer... */
  index: number;
  subject: string;
  serial: string;
  notAfter: string;
  /** Whole days left at the time of the request (0 on the last day and after). */
  daysLeft: number;
  message: string;
}

/**
 * The expiry warnings of the certificates in use: those the last refresh
 * found inside the threshold, with the days left counted now (a renewed
 * certificate drops out at the next refresh).
 */
export function certificateWarnings(figures: SessionFigures, now = Date.now()): CertificateWarning[] {
  return (figures.expiringCertificates?.() ?? []).map(({ certificate }) => {
    const entry = { certificate, daysLeft: daysLeft(certificate.notAfter, now) };
    return {
      certificate: certificate.role,
      index: certificate.index,
      subject: certificate.subject,
      serial: certificate.serialNumber,
      notAfter: rfc3339(certificate.notAfter),
      daysLeft: entry.daysLeft,
      message: expiryMessage(entry),
    };
  });
}
