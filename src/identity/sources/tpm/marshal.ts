/**
 * The TPM 2.0 wire format (big-endian integers, `TPM2B` sized buffers) for
 * the handful of structures certcreds sends and reads. The reader trusts
 * nothing: every length is checked against what is left, and a structure
 * that does not end where its size says is refused.
 */

/** A structure that does not parse; the caller turns it into a typed error naming the source. */
export class MarshalError extends Error {}

/** Builds a command or structure. */
export class Writer {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer.writeUInt8(value, this.length);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.buffer.writeUInt16BE(value, this.length);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.buffer.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A `TPM2B`: a 16-bit size, then the bytes. */
  sized(value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError("TPM2B larger than 65535 bytes");
    return this.u16(value.length).bytes(value);
  }

  /** Overwrites a 32-bit value already written (a size known only at the end). */
  patchU32(offset: number, value: number): this {
    this.buffer.writeUInt32BE(value >>> 0, offset);
    return this;
  }

  get offset(): number {
    return this.length;
  }

  /** The bytes written; the working buffer is cleared (a command may hold a password). */
  done(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.buffer.fill(0, 0, this.length);
    return out;
  }
}

/** Reads a structure from untrusted bytes. */
export class Reader {
  private position = 0;

  constructor(
    private readonly bytes: Buffer,
    /** What is being read, for the error. */
    private readonly what: string,
  ) {}

  private take(count: number): Buffer {
    if (count > this.bytes.length - this.position) throw new MarshalError(`${this.what} ends early`);
    const out = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return out;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  raw(count: number): Buffer {
    return this.take(count);
  }

  /** A `TPM2B` of at most `max` bytes. */
  sized(max: number, name: string): Buffer {
    const size = this.u16();
    if (size > max) throw new MarshalError(`${this.what}: ${name} of ${size} bytes, more than the ${max} allowed`);
    return this.take(size);
  }

  /** A `TPM2B` whose content is a structure: a reader bounded to it. */
  nested(max: number, name: string): Reader {
    return new Reader(this.sized(max, name), `${name} in ${this.what}`);
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  get offset(): number {
    return this.position;
  }

  /** Throws unless every byte was read: a structure must end where its size says. */
  end(): void {
    if (this.remaining !== 0) throw new MarshalError(`${this.what} has ${this.remaining} byte(s) after its end`);
  }
}
