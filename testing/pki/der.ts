/**
 * A minimal DER (Distinguished Encoding Rules) encoder: exactly the ASN.1
 * types an X.509 v3 certificate needs, and nothing else.
 *
 * Node's `crypto` can generate keys and sign bytes but cannot build a
 * certificate, so the test PKI assembles the TBSCertificate by hand with these
 * helpers. Every function returns a complete TLV (tag, length, value) so the
 * results compose by plain concatenation.
 *
 * @module
 */

/** Universal tag numbers used here (X.680). */
const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Encodes a DER length: short form below 128, long form (minimal octets) above. */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/**
 * Encodes one TLV with a single-octet identifier.
 *
 * @param tag - the full identifier octet (class, constructed bit and tag number < 31).
 * @param content - the already-encoded contents.
 */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** `SEQUENCE { ...items }`. */
export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

/**
 * `SET OF { ...items }`. DER requires the elements of a SET OF to be sorted by
 * their encodings, which we do so the output is canonical whatever the call order.
 */
export function set(...items: Uint8Array[]): Buffer {
  const sorted = [...items].map((item) => Buffer.from(item)).sort(Buffer.compare);
  return tlv(TAG.SET, Buffer.concat(sorted));
}

/**
 * `INTEGER`.
 *
 * A `bigint` or `number` is encoded in minimal two's complement (negative
 * values are supported). A `Buffer` is read as an *unsigned* big-endian
 * magnitude: leading zero octets are dropped and a `0x00` is prepended when
 * the high bit is set, so the value never turns negative by accident (the
 * classic bug with serial numbers and RSA moduli).
 */
export function integer(value: bigint | number | Uint8Array): Buffer {
  if (value instanceof Uint8Array) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const magnitude = value.length === 0 ? Buffer.from([0]) : Buffer.from(value.subarray(start));
    const needsPad = (magnitude[0] ?? 0) & 0x80;
    return tlv(TAG.INTEGER, needsPad ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
  }
  const n = BigInt(value);
  // Smallest octet count whose signed range holds n.
  let octets = 1;
  while (n < -(1n << BigInt(octets * 8 - 1)) || n >= 1n << BigInt(octets * 8 - 1)) octets++;
  // Two's complement of a negative n in `octets` octets is n + 2^(8*octets).
  let unsigned = n < 0n ? n + (1n << BigInt(octets * 8)) : n;
  const bytes = Buffer.alloc(octets);
  for (let i = octets - 1; i >= 0; i--) {
    bytes[i] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
  return tlv(TAG.INTEGER, bytes);
}

/** `BOOLEAN` (DER: TRUE is `0xFF`). */
export function boolean(value: boolean): Buffer {
  return tlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

/** `NULL`. */
export function nullValue(): Buffer {
  return tlv(TAG.NULL, Buffer.alloc(0));
}

/**
 * `OBJECT IDENTIFIER` from dotted notation (`"1.2.840.113549.1.1.11"`).
 * Arcs are handled as bigints so very long arcs (e.g. `2.25.<uuid>`) work.
 */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.\d+)+$/.test(dotted)) throw new TypeError(`Invalid OID: ${dotted}`);
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  const [first = 0n, second = 0n, ...rest] = arcs;
  if (first < 2n && second > 39n) throw new TypeError(`Invalid OID: ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    // Base-128, most significant group first, continuation bit on all but the last.
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let rem = arc >> 7n; rem > 0n; rem >>= 7n) groups.unshift(Number(rem & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

/**
 * `BIT STRING`.
 *
 * @param bytes - the bits, most significant first.
 * @param unusedBits - how many trailing bits of the last octet are padding (0–7).
 */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError("unusedBits must be 0..7");
  }
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A `BIT STRING` for a named bit list such as KeyUsage: bit 0 is the most
 * significant bit of the first octet. DER drops trailing zero bits, so the
 * length and the unused-bit count depend on the highest bit set.
 */
export function namedBitString(bits: readonly number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const octets = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) {
    const index = Math.floor(bit / 8);
    octets[index] = (octets[index] ?? 0) | (0x80 >> (bit % 8));
  }
  return bitString(octets, 7 - (highest % 8));
}

/** `OCTET STRING`. */
export function octetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** `UTF8String`. */
export function utf8String(value: string): Buffer {
  return tlv(TAG.UTF8_STRING, Buffer.from(value, "utf8"));
}

/** `PrintableString`; throws on characters outside its restricted alphabet. */
export function printableString(value: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) {
    throw new TypeError(`Not a PrintableString: ${JSON.stringify(value)}`);
  }
  return tlv(TAG.PRINTABLE_STRING, Buffer.from(value, "ascii"));
}

/** `IA5String` (ASCII); throws on non-ASCII characters. */
export function ia5String(value: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(value)) throw new TypeError(`Not an IA5String: ${JSON.stringify(value)}`);
  return tlv(TAG.IA5_STRING, Buffer.from(value, "ascii"));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("Invalid date");
  return (
    pad(date.getUTCMonth() + 1, 2) + pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2) + "Z"
  );
}

/** `UTCTime` (`YYMMDDHHMMSSZ`); only defined for years 1950–2049. Sub-second precision is dropped. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot represent year ${year}`);
  return tlv(TAG.UTC_TIME, Buffer.from(pad(year % 100, 2) + timeDigits(date), "ascii"));
}

/** `GeneralizedTime` (`YYYYMMDDHHMMSSZ`). Sub-second precision is dropped. */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot represent year ${year}`);
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(pad(year, 4) + timeDigits(date), "ascii"));
}

/**
 * An X.509 `Time`: RFC 5280 §4.1.2.5 mandates UTCTime through 2049 and
 * GeneralizedTime from 2050 on.
 */
export function x509Time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? utcTime(date) : generalizedTime(date);
}

/** Context-specific, constructed, EXPLICIT tag `[n]` wrapping a complete TLV (e.g. `[0]` version, `[3]` extensions). */
export function explicit(tagNumber: number, inner: Uint8Array): Buffer {
  checkTagNumber(tagNumber);
  return tlv(0xa0 | tagNumber, inner);
}

/**
 * Context-specific IMPLICIT tag `[n]`: replaces the universal tag of a value.
 * Pass the raw *contents* (e.g. the ASCII of a dNSName, the 4 octets of an IPv4
 * address). Primitive by default; set `constructed` when the replaced type was
 * itself constructed (e.g. a SEQUENCE).
 */
export function implicit(tagNumber: number, contents: Uint8Array, constructed = false): Buffer {
  checkTagNumber(tagNumber);
  return tlv((constructed ? 0xa0 : 0x80) | tagNumber, contents);
}

function checkTagNumber(tagNumber: number): void {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new RangeError("Only low tag numbers (0..30) are supported");
  }
}

/** One decoded TLV header: where an element's contents start and end inside a buffer. */
export interface DerElement {
  /** The identifier octet. */
  tag: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/**
 * Reads the TLV header at `offset`. This is the only decoding we need: walking
 * into a SubjectPublicKeyInfo exported by Node to hash its key bits.
 * Throws on truncated or indefinite-length input.
 */
export function readElement(der: Uint8Array, offset = 0): DerElement {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new RangeError("Truncated DER");
  let contentStart = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new RangeError("Unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) {
      const octet = der[contentStart + i];
      if (octet === undefined) throw new RangeError("Truncated DER");
      length = length * 256 + octet;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new RangeError("Truncated DER");
  return { tag, contentStart, end };
}
