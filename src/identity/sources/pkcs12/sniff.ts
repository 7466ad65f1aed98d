/**
 * Whether bytes are a PKCS#12 file (a DER or BER PFX), by their first
 * bytes: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data or signedData, … } … }.
 * No parsing beyond that: kept tiny, as it runs where every certificate
 * input is looked at, before any PKCS#12 code is loaded.
 */

/** The offset just past the length field at `at`, or -1 when it is not one (an indefinite length counts). */
function skipLength(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === undefined) return -1;
  if (first < 0x80 || first === 0x80) return at + 1;
  const count = first & 0x7f;
  return count > 4 || at + 1 + count > bytes.length ? -1 : at + 1 + count;
}

const VERSION_3 = [0x02, 0x01, 0x03];
/** 1.2.840.113549.1.7 (PKCS#7 content types) as an OBJECT IDENTIFIER of 9 bytes, without its last arc. */
const PKCS7_OID_PREFIX = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

function startsWithAt(bytes: Uint8Array, at: number, expected: readonly number[]): boolean {
  if (at < 0 || at + expected.length > bytes.length) return false;
  return expected.every((byte, i) => bytes[at + i] === byte);
}

/** Whether the bytes open like a PFX (PKCS#12 file). */
export function looksLikePfx(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x30) return false;
  let at = skipLength(bytes, 1);
  if (!startsWithAt(bytes, at, VERSION_3)) return false;
  at += VERSION_3.length;
  if (bytes[at] !== 0x30) return false;
  at = skipLength(bytes, at + 1);
  if (!startsWithAt(bytes, at, PKCS7_OID_PREFIX)) return false;
  const type = bytes[at + PKCS7_OID_PREFIX.length];
  // data (1) in password integrity mode, signedData (2) in public-key integrity mode.
  return type === 0x01 || type === 0x02;
}
