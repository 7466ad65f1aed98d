/**
 * PKCS#11 returns an ECDSA signature as `r || s` (two big-endian integers
 * of the curve's size); SigV4-X509 wants ASN.1 DER `SEQUENCE { r, s }`.
 */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`An ECDSA signature from the token must be r||s of even length, got ${raw.length} bytes.`);
  }
  const half = raw.length / 2;
  const r = integerBounds(raw, 0, half);
  const s = integerBounds(raw, half, raw.length);
  const content = r.encodedLength + s.encodedLength;
  const header = content < 0x80 ? 2 : 3;
  const out = Buffer.allocUnsafe(header + content);
  out[0] = 0x30;
  if (header === 2) out[1] = content;
  else [out[1], out[2]] = [0x81, content];
  let offset = writeInteger(out, header, raw, r);
  offset = writeInteger(out, offset, raw, s);
  return out;
}

interface IntegerBounds {
  start: number;
  end: number;
  /** A zero byte goes first when the high bit is set (it would read as negative). */
  pad: boolean;
  encodedLength: number;
}

function integerBounds(raw: Uint8Array, from: number, to: number): IntegerBounds {
  let start = from;
  while (start < to - 1 && raw[start] === 0) start++;
  const pad = (raw[start]! & 0x80) !== 0;
  const length = to - start + (pad ? 1 : 0);
  return { start, end: to, pad, encodedLength: 2 + length };
}

function writeInteger(out: Buffer, offset: number, raw: Uint8Array, bounds: IntegerBounds): number {
  out[offset++] = 0x02;
  out[offset++] = bounds.encodedLength - 2;
  if (bounds.pad) out[offset++] = 0;
  out.set(raw.subarray(bounds.start, bounds.end), offset);
  return offset + bounds.end - bounds.start;
}
