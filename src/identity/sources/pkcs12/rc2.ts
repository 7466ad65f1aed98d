/**
 * RC2 (RFC 2268) in CBC mode. PKCS#12 files in the legacy encoding (what
 * Windows, macOS Keychain exports, Java before 18 and `openssl pkcs12
 * -legacy` write) encrypt their certificates with pbeWithSHAAnd40BitRC2-CBC,
 * and OpenSSL 3 keeps RC2 in its legacy provider, which Node.js does not
 * load: the cipher is small enough to carry here. Only certificates (public
 * data) are encrypted with it in practice, so constant time is not a goal.
 */

// The "PITABLE" of RFC 2268 section 2: a permutation of 0..255 derived from the digits of pi.
const PITABLE = Buffer.from(
  "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb6266fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad",
  "hex",
);

/** The 64 16-bit subkeys of a key with `effectiveBits` effective key bits (RFC 2268 section 2). */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new RangeError("RC2 keys are 1 to 128 bytes");
  if (effectiveBits < 1 || effectiveBits > 1024) throw new RangeError("RC2 effective key bits are 1 to 1024");
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

const SHIFTS = [1, 2, 3, 5] as const;

/** Encrypts one 8-byte block in place (used by the tests' known answers and to write test files). */
export function rc2EncryptBlock(k: Uint16Array, block: Uint8Array, at = 0): void {
  const r = [
    block[at]! | (block[at + 1]! << 8),
    block[at + 2]! | (block[at + 3]! << 8),
    block[at + 4]! | (block[at + 5]! << 8),
    block[at + 6]! | (block[at + 7]! << 8),
  ];
  let j = 0;
  for (let round = 0; round < 16; round++) {
    for (let i = 0; i < 4; i++) {
      const x = (r[i]! + k[j++]! + (r[(i + 3) & 3]! & r[(i + 2) & 3]!) + (~r[(i + 3) & 3]! & r[(i + 1) & 3]!)) & 0xffff;
      r[i] = ((x << SHIFTS[i]!) | (x >> (16 - SHIFTS[i]!))) & 0xffff;
    }
    // Mashing rounds after the fifth and the eleventh mixing round.
    if (round === 4 || round === 10) for (let i = 0; i < 4; i++) r[i] = (r[i]! + k[r[(i + 3) & 3]! & 63]!) & 0xffff;
  }
  for (let i = 0; i < 4; i++) [block[at + 2 * i], block[at + 2 * i + 1]] = [r[i]! & 0xff, r[i]! >> 8];
}

/** Decrypts one 8-byte block in place: the rounds of {@link rc2EncryptBlock} undone in reverse order. */
export function rc2DecryptBlock(k: Uint16Array, block: Uint8Array, at = 0): void {
  const r = [
    block[at]! | (block[at + 1]! << 8),
    block[at + 2]! | (block[at + 3]! << 8),
    block[at + 4]! | (block[at + 5]! << 8),
    block[at + 6]! | (block[at + 7]! << 8),
  ];
  let j = 63;
  for (let round = 15; round >= 0; round--) {
    for (let i = 3; i >= 0; i--) {
      const x = r[i]!;
      const rotated = ((x >> SHIFTS[i]!) | (x << (16 - SHIFTS[i]!))) & 0xffff;
      r[i] = (rotated - k[j--]! - (r[(i + 3) & 3]! & r[(i + 2) & 3]!) - (~r[(i + 3) & 3]! & r[(i + 1) & 3]!)) & 0xffff;
    }
    if (round === 5 || round === 11) for (let i = 3; i >= 0; i--) r[i] = (r[i]! - k[r[(i + 3) & 3]! & 63]!) & 0xffff;
  }
  for (let i = 0; i < 4; i++) [block[at + 2 * i], block[at + 2 * i + 1]] = [r[i]! & 0xff, r[i]! >> 8];
}

/**
 * RC2-CBC decryption with PKCS#7 padding removed. Undefined when the
 * padding is wrong: with a password-derived key, the sign of a wrong
 * password (or a damaged file).
 */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (iv.length !== 8) throw new RangeError("RC2-CBC takes an 8-byte IV");
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) return undefined;
  const k = rc2ExpandKey(key, effectiveBits);
  const out = Buffer.from(ciphertext);
  let previous = Buffer.from(iv);
  for (let at = 0; at < out.length; at += 8) {
    const block = Buffer.from(out.subarray(at, at + 8));
    rc2DecryptBlock(k, out, at);
    for (let i = 0; i < 8; i++) out[at + i]! ^= previous[i]!;
    previous = block;
  }
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > 8) return undefined;
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) return undefined;
  return out.subarray(0, out.length - pad);
}

/** RC2-CBC encryption with PKCS#7 padding (for the tests, which build legacy files without OpenSSL's legacy provider). */
export function rc2CbcEncrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const k = rc2ExpandKey(key, effectiveBits);
  const pad = 8 - (plaintext.length % 8);
  const out = Buffer.concat([Buffer.from(plaintext), Buffer.alloc(pad, pad)]);
  let previous: Uint8Array = iv;
  for (let at = 0; at < out.length; at += 8) {
    for (let i = 0; i < 8; i++) out[at + i]! ^= previous[i]!;
    rc2EncryptBlock(k, out, at);
    previous = out.subarray(at, at + 8);
  }
  return out;
}
