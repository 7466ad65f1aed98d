/**
 * The few DER reads certcreds does itself (key algorithm identifiers, a fast
 * key import): bounded, and a malformed input is a thrown Error that callers
 * turn into "not recognised" — never an out-of-range read.
 */

/** One DER element. */
export interface Tlv {
  tag: number;
  /** The contents (without tag and length). */
  value: Buffer;
  /** Offset just past this element. */
  end: number;
}

/** The element at `offset`. Lengths up to 3 bytes (16 MiB): nothing certcreds reads is larger. */
export function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset < 0 || offset + 2 > buf.length) throw new Error("truncated");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error("multi-byte tags are not read");
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > buf.length) throw new Error("unsupported length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[start + i]!;
    start += bytes;
  }
  const end = start + length;
  if (end > buf.length) throw new Error("truncated");
  return { tag, value: buf.subarray(start, end), end };
}

/** The elements of a constructed value. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < value.length; ) {
    const tlv = readTlv(value, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

/** The elements of the SEQUENCE that is all of `der`. */
export function sequence(der: Buffer): Tlv[] {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error("not a SEQUENCE");
  return children(outer.value);
}
