/**
 * TPM response codes (TPM_RC, Part 2 §6.6): a format-one code names the
 * handle, session or parameter at fault; a format-zero code is an error or
 * a warning of the command as a whole.
 */

/** The base codes certcreds reacts to. */
export const RC = {
  SUCCESS: 0x000,
  INITIALIZE: 0x100,
  FAILURE: 0x101,
  AUTH_MISSING: 0x125,
  AUTH_UNAVAILABLE: 0x12f,
  COMMAND_CODE: 0x143,
  ASYMMETRIC: 0x081,
  ATTRIBUTES: 0x082,
  HASH: 0x083,
  VALUE: 0x084,
  HIERARCHY: 0x085,
  KEY_SIZE: 0x087,
  TYPE: 0x08a,
  HANDLE: 0x08b,
  AUTH_FAIL: 0x08e,
  SCHEME: 0x092,
  SIZE: 0x095,
  SYMMETRIC: 0x096,
  KEY: 0x09c,
  INTEGRITY: 0x09f,
  BAD_AUTH: 0x0a2,
  BINDING: 0x0a5,
  CURVE: 0x0a6,
  OBJECT_MEMORY: 0x902,
  YIELDED: 0x908,
  TESTING: 0x90a,
  REFERENCE_H0: 0x910,
  LOCKOUT: 0x921,
  RETRY: 0x922,
} as const;

const NAMES = new Map<number, string>([
  [0x100, "TPM_RC_INITIALIZE"],
  [0x101, "TPM_RC_FAILURE"],
  [0x120, "TPM_RC_DISABLED"],
  [0x125, "TPM_RC_AUTH_MISSING"],
  [0x126, "TPM_RC_POLICY"],
  [0x12f, "TPM_RC_AUTH_UNAVAILABLE"],
  [0x143, "TPM_RC_COMMAND_CODE"],
  [0x152, "TPM_RC_PARENT"],
  [0x081, "TPM_RC_ASYMMETRIC"],
  [0x082, "TPM_RC_ATTRIBUTES"],
  [0x083, "TPM_RC_HASH"],
  [0x084, "TPM_RC_VALUE"],
  [0x085, "TPM_RC_HIERARCHY"],
  [0x087, "TPM_RC_KEY_SIZE"],
  [0x08a, "TPM_RC_TYPE"],
  [0x08b, "TPM_RC_HANDLE"],
  [0x08e, "TPM_RC_AUTH_FAIL"],
  [0x092, "TPM_RC_SCHEME"],
  [0x095, "TPM_RC_SIZE"],
  [0x096, "TPM_RC_SYMMETRIC"],
  [0x09c, "TPM_RC_KEY"],
  [0x09d, "TPM_RC_POLICY_FAIL"],
  [0x09f, "TPM_RC_INTEGRITY"],
  [0x0a2, "TPM_RC_BAD_AUTH"],
  [0x0a5, "TPM_RC_BINDING"],
  [0x0a6, "TPM_RC_CURVE"],
  [0x902, "TPM_RC_OBJECT_MEMORY"],
  [0x903, "TPM_RC_SESSION_MEMORY"],
  [0x904, "TPM_RC_MEMORY"],
  [0x908, "TPM_RC_YIELDED"],
  [0x909, "TPM_RC_CANCELED"],
  [0x90a, "TPM_RC_TESTING"],
  [0x921, "TPM_RC_LOCKOUT"],
  [0x922, "TPM_RC_RETRY"],
]);

/** A response code taken apart. */
export interface DecodedRc {
  /** The code without the handle/session/parameter number. */
  base: number;
  /** 1-based number of the handle, session or parameter at fault (format one). */
  handle?: number;
  session?: number;
  parameter?: number;
  /** `TPM_RC_AUTH_FAIL (session 1)`, or the hexadecimal code when unknown. */
  text: string;
}

/** Takes a response code apart. Codes from a software layer (a resource manager) keep their whole value. */
export function decodeRc(rc: number): DecodedRc {
  const code = rc >>> 0;
  const hexCode = `0x${code.toString(16).padStart(3, "0")}`;
  if (code >>> 16 !== 0) return { base: code, text: `${hexCode} (from a software layer, not the TPM)` };
  if (code & 0x80) {
    const base = 0x80 | (code & 0x3f);
    const number = (code >>> 8) & 0xf;
    const name = NAMES.get(base) ?? hexCode;
    if (code & 0x40) return { base, parameter: number, text: `${name} (parameter ${number})` };
    if (number >= 8) return { base, session: number - 8, text: `${name} (session ${number - 8})` };
    return number > 0 ? { base, handle: number, text: `${name} (handle ${number})` } : { base, text: name };
  }
  const base = code & 0xfff;
  if (base >= RC.REFERENCE_H0 && base <= RC.REFERENCE_H0 + 6)
    return { base: RC.REFERENCE_H0, handle: base - RC.REFERENCE_H0 + 1, text: `TPM_RC_REFERENCE_H${base - RC.REFERENCE_H0}` };
  return { base, text: NAMES.get(base) ?? hexCode };
}

/** Warnings after which the same command may simply be sent again. */
export function isTransientWarning(rc: number): boolean {
  const { base } = decodeRc(rc);
  return base === RC.RETRY || base === RC.YIELDED || base === RC.TESTING;
}
