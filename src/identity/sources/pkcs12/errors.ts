/**
 * What can be wrong with a PKCS#12 file, as the parser sees it, and the
 * typed errors users get for each: one line naming the input and the fix.
 * The parser throws the small classes here (they know nothing of the input's
 * name); {@link pkcs12Error} turns them into certcreds errors.
 */
import { InputFormatError, PassphraseError } from "../../../core/errors.js";

/** A structure that is not what PKCS#12 says, in a few words (never the bytes). */
export class DerError extends Error {
  override name = "DerError";
}

/** A valid construct that certcreds does not read (an algorithm, public-key integrity...). */
export class UnsupportedError extends Error {
  override name = "UnsupportedError";
}

/** A file asking for more work than allowed (iterations, total derivations). */
export class WorkLimitError extends Error {
  override name = "WorkLimitError";
}

/** Where the password is given, for messages. */
export const PASSWORD_OPTION = "the passphrase option (CLI: --pkcs12-password or CERTCREDS_PKCS12_PASSWORD)";

const EXPORT_AGAIN = 'Export it again with "openssl pkcs12 -export" (with or without -legacy).';

/** The certcreds error of a parser problem in the file named by `label`; anything else is returned as it is. */
export function pkcs12Error(error: unknown, label: string): unknown {
  if (error instanceof DerError) {
    return new InputFormatError("certificate", `${label} is not a readable PKCS#12 file (${error.message}). ${EXPORT_AGAIN}`, { cause: error });
  }
  if (error instanceof UnsupportedError) {
    return new InputFormatError("certificate", `${label} is a PKCS#12 file using ${error.message}, which certcreds does not read. ${EXPORT_AGAIN}`, {
      cause: error,
    });
  }
  if (error instanceof WorkLimitError) {
    return new InputFormatError("certificate", `${label} is a PKCS#12 file that ${error.message}: refused, as it would take minutes to open. ${EXPORT_AGAIN}`, {
      cause: error,
    });
  }
  return error;
}

/** A PassphraseError about the certificate input (the CLI then names it by its flag, as other input errors). */
function aboutCertificate(message: string): PassphraseError {
  return Object.assign(new PassphraseError(message), { input: "certificate" as const });
}

/** The file needs a password and none was given. */
export function passwordNeeded(label: string): PassphraseError {
  return aboutCertificate(`${label} is a password-protected PKCS#12 file: pass its password with ${PASSWORD_OPTION}.`);
}

/** The password given does not open the file (its MAC does not verify, or a part does not decrypt). */
export function passwordWrong(label: string, check: "mac" | "decrypt"): PassphraseError {
  const why = check === "mac" ? "its integrity check (MAC) fails with it, so the password is wrong or the file was altered" : "a part does not decrypt with it";
  return aboutCertificate(`${label} is a PKCS#12 file that the password given does not open: ${why}. Check ${PASSWORD_OPTION}.`);
}
