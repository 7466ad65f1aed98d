/**
 * The key derivations of PKCS#12: its own KDF (RFC 7292 appendix B.2), which
 * the MAC and the legacy PBE ciphers use, and PBKDF2 (RFC 8018), which PBES2
 * uses — each charged to a {@link WorkBudget} so that a hostile iteration
 * count is refused before any work rather than spinning for minutes.
 */
import { nodeCrypto } from "../../../core/node-builtins.js";
import { DerError, WorkLimitError } from "./errors.js";

/** A digest as the PKCS#12 KDF needs it: its Node name, output size `u` and block size `v`, in bytes. */
export interface Digest {
  readonly name: string;
  readonly u: number;
  readonly v: number;
}

const sha1: Digest = { name: "sha1", u: 20, v: 64 };
const sha224: Digest = { name: "sha224", u: 28, v: 64 };
const sha256: Digest = { name: "sha256", u: 32, v: 64 };
const sha384: Digest = { name: "sha384", u: 48, v: 128 };
const sha512: Digest = { name: "sha512", u: 64, v: 128 };

/** Digest algorithm OIDs (hex of the encoded value) of a MacData's DigestInfo. */
export const DIGESTS: Readonly<Record<string, Digest>> = {
  "2b0e03021a": sha1,
  "608648016503040204": sha224,
  "608648016503040201": sha256,
  "608648016503040202": sha384,
  "608648016503040203": sha512,
};

/** HMAC PRF OIDs of PBKDF2 (1.2.840.113549.2.7 to .11). */
export const HMAC_PRFS: Readonly<Record<string, Digest>> = {
  "2a864886f70d0207": sha1,
  "2a864886f70d0208": sha224,
  "2a864886f70d0209": sha256,
  "2a864886f70d020a": sha384,
  "2a864886f70d020b": sha512,
};

/**
 * The largest iteration count accepted for one derivation. Real files use
 * 2048 (OpenSSL), 2000 (Windows), 10 000 (Java keytool) and at most
 * OWASP's 600 000 for PBKDF2-HMAC-SHA256; a million covers them all and
 * costs about a second, where a hostile 2^31 would take an hour.
 */
export const MAX_ITERATIONS = 1_000_000;

/**
 * The total work one file may cost, in iterations × output blocks summed
 * over every derivation (MAC, each encrypted bag, each wrong password
 * tried): a few seconds at most, however many encrypted parts it holds.
 */
export const MAX_WORK = 4_000_000;

/** What one open of a file may still spend on key derivations. */
export class WorkBudget {
  constructor(private left = MAX_WORK) {}

  /** Charges `iterations × blocks`, refusing a count above {@link MAX_ITERATIONS} or a total above {@link MAX_WORK}. */
  spend(iterations: number, blocks: number): void {
    if (!Number.isSafeInteger(iterations) || iterations < 1) throw new DerError(`iteration count ${iterations} is not a positive integer`);
    if (iterations > MAX_ITERATIONS) {
      throw new WorkLimitError(`asks for ${iterations} key-derivation iterations (at most ${MAX_ITERATIONS.toLocaleString("en-US")} are accepted)`);
    }
    this.left -= iterations * blocks;
    if (this.left < 0) {
      throw new WorkLimitError(`asks for more than ${MAX_WORK.toLocaleString("en-US")} key-derivation iterations in all`);
    }
  }
}

/** A password as the PKCS#12 KDF takes it: BMPString (UTF-16 big-endian) with a two-byte terminator. */
export function bmpPassword(password: string): Buffer {
  const bytes = Buffer.from(`${password}\u0000`, "utf16le");
  return bytes.swap16();
}

/** A password as PBKDF2 takes it: its UTF-8 bytes, as OpenSSL passes what was typed. */
export function utf8Password(password: string): Buffer {
  return Buffer.from(password, "utf8");
}

type HashFunction = (data: Buffer) => Buffer;

function hashFunction(name: string): HashFunction {
  const crypto = nodeCrypto();
  // crypto.hash (Node ≥ 20.12) is a single call: about twice as fast as createHash for the short inputs iterated here.
  if (typeof crypto.hash === "function") return (data) => crypto.hash(name, data, "buffer");
  return (data) => crypto.createHash(name).update(data).digest();
}

/** Iterations between two yields to the event loop, so that a long derivation does not stall a server. */
const YIELD_EVERY = 50_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (source.length === 0) return out;
  for (let at = 0; at < length; at += source.length) source.copy(out, at, 0, Math.min(source.length, length - at));
  return out;
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2): `id` 1 derives a
 * cipher key, 2 an IV, 3 a MAC key. `password` is already encoded (see
 * {@link bmpPassword}; an absent password is the empty buffer).
 */
export async function pkcs12Kdf(
  digest: Digest,
  password: Buffer,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
  budget: WorkBudget,
): Promise<Buffer> {
  const { u, v } = digest;
  const blocks = Math.ceil(length / u);
  budget.spend(iterations, blocks);
  const hash = hashFunction(digest.name);
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([repeatTo(salt, v * Math.ceil(salt.length / v)), repeatTo(password, v * Math.ceil(password.length / v))]);
  const out = Buffer.alloc(blocks * u);
  let sinceYield = 0;
  for (let block = 0; block < blocks; block++) {
    let a = hash(Buffer.concat([d, i]));
    for (let round = 1; round < iterations; round++) {
      a = hash(a);
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    a.copy(out, block * u);
    if (block + 1 === blocks) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I, B being A repeated to v bytes.
    const b = repeatTo(a, v);
    for (let at = 0; at < i.length; at += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[at + k]! + b[k]! + carry;
        i[at + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  i.fill(0);
  return out.subarray(0, length);
}

/** PBKDF2 (RFC 8018 section 5.2) on Node's thread pool, charged to the budget. */
export async function pbkdf2(prf: Digest, password: Buffer, salt: Buffer, iterations: number, length: number, budget: WorkBudget): Promise<Buffer> {
  budget.spend(iterations, Math.ceil(length / prf.u));
  const crypto = nodeCrypto();
  return new Promise((resolve, reject) => {
    crypto.pbkdf2(password, salt, iterations, length, prf.name, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
