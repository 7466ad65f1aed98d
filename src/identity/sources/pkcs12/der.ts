/**
 * A small, bounded reader of the ASN.1 a PKCS#12 file is made of. DER
 * mostly, but also the BER that Windows, Java and old Netscape code write
 * into PFX files (indefinite lengths, OCTET STRINGs split into pieces).
 * Every read is bounded: nesting depth, number of elements, lengths within
 * the buffer. A malformed input throws {@link DerError}, which the caller
 * turns into a typed error naming the file.
 */
import { DerError } from "./errors.js";

/** One element: its tag and where its value lies. */
export interface Der {
  readonly tag: number;
  readonly constructed: boolean;
  /** The buffer the element was read from. */
  readonly buf: Buffer;
  /** Offset of the element's first byte (its tag). */
  readonly offset: number;
  /** Offset of the value's first byte. */
  readonly start: number;
  /** Offset just past the value (before the end-of-contents octets of an indefinite length). */
  readonly end: number;
  /** Offset just past the whole element. */
  readonly next: number;
  /** Nesting depth of the element (0 at the top). */
  readonly depth: number;
}

/** Elements deeper than this are refused: a PFX nests about 12 levels, and recursion must stay shallow. */
export const MAX_DER_DEPTH = 32;

/** Elements read per reader: a 2 MiB file of one-byte elements cannot make the reader walk forever. */
const MAX_ELEMENTS = 500_000;

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[0]` constructed (EXPLICIT). */
  CONTEXT_0: 0xa0,
  /** `[0]` primitive (IMPLICIT OCTET STRING). */
  CONTEXT_0_PRIMITIVE: 0x80,
} as const;

/** Reads elements of one buffer, counting them against {@link MAX_ELEMENTS}. */
export class DerReader {
  private elements = 0;

  /** The element at `offset`; `limit` is where its parent's value ends. */
  read(buf: Buffer, offset: number, limit: number, depth: number): Der {
    if (depth > MAX_DER_DEPTH) throw new DerError(`nested deeper than ${MAX_DER_DEPTH} levels`);
    if (++this.elements > MAX_ELEMENTS) throw new DerError(`more than ${MAX_ELEMENTS} ASN.1 elements`);
    if (offset + 2 > limit) throw new DerError("truncated");
    const identifier = buf[offset]!;
    // Multi-byte tags (tag number 31 and up) appear nowhere in PKCS#12.
    if ((identifier & 0x1f) === 0x1f) throw new DerError("unexpected high tag number");
    const constructed = (identifier & 0x20) !== 0;
    const first = buf[offset + 1]!;
    let start = offset + 2;
    if (first === 0x80) {
      if (!constructed) throw new DerError("indefinite length on a primitive element");
      // BER: the value is the elements up to the end-of-contents octets 00 00.
      let at = start;
      for (;;) {
        if (at + 2 > limit) throw new DerError("indefinite length without end-of-contents");
        if (buf[at] === 0 && buf[at + 1] === 0) return { tag: identifier, constructed, buf, offset, start, end: at, next: at + 2, depth };
        at = this.read(buf, at, limit, depth + 1).next;
      }
    }
    let length = first;
    if (first & 0x80) {
      const count = first & 0x7f;
      // Four length bytes reach 4 GiB, far past any input read (2 MiB); 0xff is reserved.
      if (count > 4) throw new DerError("length field too long");
      if (start + count > limit) throw new DerError("truncated length");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + buf[start + i]!;
      start += count;
    }
    const end = start + length;
    if (end > limit) throw new DerError("length past the end of its container");
    return { tag: identifier, constructed, buf, offset, start, end, next: end, depth };
  }

  /** The top-level element of `buf`, which must fill it. */
  root(buf: Buffer): Der {
    const element = this.read(buf, 0, buf.length, 0);
    if (element.next !== buf.length) throw new DerError("bytes after the end of the structure");
    return element;
  }

  /** The elements inside a constructed element, at most `max`. */
  children(parent: Der, max = 10_000): Der[] {
    if (!parent.constructed) throw new DerError("expected a constructed element");
    const out: Der[] = [];
    for (let at = parent.start; at < parent.end; ) {
      const child = this.read(parent.buf, at, parent.end, parent.depth + 1);
      out.push(child);
      if (out.length > max) throw new DerError(`more than ${max} elements in one list`);
      at = child.next;
    }
    return out;
  }

  /** The elements of a SEQUENCE (or other constructed tag), checked. */
  sequence(element: Der | undefined, what: string, tag: number = TAG.SEQUENCE, max?: number): Der[] {
    return this.children(expect(element, tag, what), max);
  }

  /** The single element inside an EXPLICIT tag such as `[0]`. */
  explicit(element: Der | undefined, what: string, tag: number = TAG.CONTEXT_0): Der {
    const inner = this.children(expect(element, tag, what), 1);
    if (inner.length !== 1) throw new DerError(`${what} holds ${inner.length} elements`);
    return inner[0]!;
  }

  /**
   * The bytes of an OCTET STRING, or of a string under an IMPLICIT tag:
   * primitive, or constructed from pieces (BER), joined. Pieces nest; a
   * constructed string deeper than the depth limit is refused.
   */
  octets(element: Der | undefined, what: string, primitiveTag: number = TAG.OCTET_STRING): Buffer {
    if (element === undefined) throw new DerError(`${what} is missing`);
    if (element.tag === primitiveTag) return element.buf.subarray(element.start, element.end);
    if (element.tag !== (primitiveTag | 0x20)) throw new DerError(`${what} is not an OCTET STRING`);
    const pieces = this.children(element).map((piece) => this.octets(piece, what, TAG.OCTET_STRING));
    return Buffer.concat(pieces);
  }
}

/** The element, checked to carry `tag`. */
export function expect(element: Der | undefined, tag: number, what: string): Der {
  if (element === undefined) throw new DerError(`${what} is missing`);
  if (element.tag !== tag) throw new DerError(`${what} has tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return element;
}

/** An OBJECT IDENTIFIER as the hex of its encoded value (how this code names OIDs: cheap to compare, no decoding). */
export function oidHex(element: Der | undefined, what: string): string {
  const oid = expect(element, TAG.OID, what);
  if (oid.end === oid.start) throw new DerError(`${what} is empty`);
  return oid.buf.toString("hex", oid.start, oid.end);
}

/**
 * A non-negative INTEGER that fits a JavaScript number without loss
 * (iteration counts, versions, key lengths); a larger or negative one is
 * refused here, before anything loops on it.
 */
export function smallInteger(element: Der | undefined, what: string): number {
  const integer = expect(element, TAG.INTEGER, what);
  const bytes = integer.buf.subarray(integer.start, integer.end);
  if (bytes.length === 0) throw new DerError(`${what} is empty`);
  if (bytes[0]! & 0x80) throw new DerError(`${what} is negative`);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  if (bytes.length - start > 6) throw new DerError(`${what} is too large`);
  let value = 0;
  for (let i = start; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** An element's whole encoding: tag, length and value. */
export function encoding(element: Der): Buffer {
  return element.buf.subarray(element.offset, element.next);
}
