/**
 * The password-based encryption of PKCS#12 bags: the legacy PKCS#12 PBE
 * schemes (RFC 7292 appendix C: SHA-1 with 3DES or RC2) and PBES2 (RFC 8018:
 * PBKDF2 with AES-CBC or 3DES), as OpenSSL, Windows and Java write them.
 */
import { nodeCrypto } from "../../../core/node-builtins.js";
import { type Der, type DerReader, oidHex, smallInteger, TAG } from "./der.js";
import { DerError, UnsupportedError } from "./errors.js";
import { bmpPassword, type Digest, DIGESTS, HMAC_PRFS, pbkdf2, pkcs12Kdf, utf8Password, type WorkBudget } from "./kdf.js";
import { rc2CbcDecrypt } from "./rc2.js";

/** A password in both encodings PKCS#12 uses: BMPString for its own KDF, UTF-8 for PBKDF2. */
export interface PasswordForms {
  bmp: Buffer;
  utf8: Buffer;
}

/** The password forms to try for a password as given: "" and none are both tried for an empty one, as OpenSSL does. */
export function passwordCandidates(password: string | undefined): PasswordForms[] {
  const absent = { bmp: Buffer.alloc(0), utf8: Buffer.alloc(0) };
  if (password === undefined || password === "") return [{ bmp: bmpPassword(""), utf8: Buffer.alloc(0) }, absent];
  return [{ bmp: bmpPassword(password), utf8: utf8Password(password) }];
}

const SHA1 = DIGESTS["2b0e03021a"]!;

/** The PKCS#12 PBE schemes (1.2.840.113549.1.12.1.x): cipher, key size, and RC2's effective bits. */
const PKCS12_PBE: Readonly<Record<string, { cipher: "des-ede3-cbc" | "des-ede-cbc" | "rc2"; keyLength: number; name: string }>> = {
  "2a864886f70d010c0103": { cipher: "des-ede3-cbc", keyLength: 24, name: "pbeWithSHAAnd3-KeyTripleDES-CBC" },
  "2a864886f70d010c0104": { cipher: "des-ede-cbc", keyLength: 16, name: "pbeWithSHAAnd2-KeyTripleDES-CBC" },
  "2a864886f70d010c0105": { cipher: "rc2", keyLength: 16, name: "pbeWithSHAAnd128BitRC2-CBC" },
  "2a864886f70d010c0106": { cipher: "rc2", keyLength: 5, name: "pbeWithSHAAnd40BitRC2-CBC" },
};
const PKCS12_PBE_NAMES: Readonly<Record<string, string>> = {
  "2a864886f70d010c0101": "pbeWithSHAAnd128BitRC4",
  "2a864886f70d010c0102": "pbeWithSHAAnd40BitRC4",
};

const PBES2 = "2a864886f70d01050d";
const PBKDF2 = "2a864886f70d01050c";
const SCRYPT = "2b06010401da47040b";
/** The PBES2 encryption schemes read: Node's cipher, key and IV sizes. */
const PBES2_CIPHERS: Readonly<Record<string, { cipher: string; keyLength: number; ivLength: number }>> = {
  "608648016503040102": { cipher: "aes-128-cbc", keyLength: 16, ivLength: 16 },
  "608648016503040116": { cipher: "aes-192-cbc", keyLength: 24, ivLength: 16 },
  "60864801650304012a": { cipher: "aes-256-cbc", keyLength: 32, ivLength: 16 },
  "2a864886f70d0307": { cipher: "des-ede3-cbc", keyLength: 24, ivLength: 8 },
};
const PBES1_NAMES: Readonly<Record<string, string>> = {
  "2a864886f70d010503": "pbeWithMD5AndDES-CBC",
  "2a864886f70d01050a": "pbeWithSHA1AndDES-CBC",
  "2a864886f70d010506": "pbeWithMD5AndRC2-CBC",
  "2a864886f70d01050b": "pbeWithSHA1AndRC2-CBC",
};

/** CBC decryption through Node; undefined when the padding is wrong (a wrong key). */
function nodeCbcDecrypt(cipher: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer | undefined {
  let decipher: import("node:crypto").Decipher;
  try {
    decipher = nodeCrypto().createDecipheriv(cipher, key, iv);
  } catch (cause) {
    // Not a password matter: this Node cannot run the cipher at all.
    throw new UnsupportedError(`${cipher} (${(cause as Error).message})`);
  }
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Decrypts `ciphertext` encrypted under the AlgorithmIdentifier `algorithm`
 * with the password. Undefined when it does not decrypt (wrong password or
 * damaged data); DerError, UnsupportedError or WorkLimitError for the
 * parameters themselves.
 */
export async function decrypt(reader: DerReader, algorithm: Der, ciphertext: Buffer, password: PasswordForms, budget: WorkBudget): Promise<Buffer | undefined> {
  const [oid, parameters] = reader.sequence(algorithm, "encryption algorithm");
  const id = oidHex(oid, "encryption algorithm");
  const legacy = PKCS12_PBE[id];
  if (legacy) {
    const [salt, iterations] = reader.sequence(parameters, `${legacy.name} parameters`);
    const saltBytes = reader.octets(salt, "PBE salt");
    const count = smallInteger(iterations, "PBE iteration count");
    const key = await pkcs12Kdf(SHA1, password.bmp, saltBytes, 1, count, legacy.keyLength, budget);
    const iv = await pkcs12Kdf(SHA1, password.bmp, saltBytes, 2, count, 8, budget);
    return legacy.cipher === "rc2" ? rc2CbcDecrypt(key, legacy.keyLength * 8, iv, ciphertext) : nodeCbcDecrypt(legacy.cipher, key, iv, ciphertext);
  }
  if (id === PBES2) return decryptPbes2(reader, parameters, ciphertext, password, budget);
  const name = PKCS12_PBE_NAMES[id] ?? PBES1_NAMES[id];
  throw new UnsupportedError(name ? `the ${name} encryption` : `an unknown encryption (OID ${oidText(oid!)})`);
}

async function decryptPbes2(reader: DerReader, parameters: Der | undefined, ciphertext: Buffer, password: PasswordForms, budget: WorkBudget) {
  const [kdf, scheme] = reader.sequence(parameters, "PBES2 parameters");
  const [kdfOid, kdfParameters] = reader.sequence(kdf, "PBES2 key derivation");
  const kdfId = oidHex(kdfOid, "PBES2 key derivation");
  if (kdfId === SCRYPT) throw new UnsupportedError("scrypt key derivation");
  if (kdfId !== PBKDF2) throw new UnsupportedError(`an unknown key derivation (OID ${oidText(kdfOid!)})`);
  const [schemeOid, ivElement] = reader.sequence(scheme, "PBES2 encryption scheme");
  const schemeId = oidHex(schemeOid, "PBES2 encryption scheme");
  const cipher = PBES2_CIPHERS[schemeId];
  if (!cipher) throw new UnsupportedError(`an unknown PBES2 cipher (OID ${oidText(schemeOid!)})`);
  const iv = reader.octets(ivElement, "PBES2 IV");
  if (iv.length !== cipher.ivLength) throw new DerError(`PBES2 IV of ${iv.length} bytes for ${cipher.cipher}`);
  const fields = reader.sequence(kdfParameters, "PBKDF2 parameters");
  const salt = fields[0];
  if (salt?.tag !== TAG.OCTET_STRING) throw new UnsupportedError("a PBKDF2 salt that is not an OCTET STRING");
  const iterations = smallInteger(fields[1], "PBKDF2 iteration count");
  let prf: Digest = HMAC_PRFS["2a864886f70d0207"]!;
  for (const field of fields.slice(2)) {
    if (field.tag === TAG.INTEGER) {
      if (smallInteger(field, "PBKDF2 key length") !== cipher.keyLength) throw new DerError(`PBKDF2 key length differs from ${cipher.cipher}'s`);
    } else if (field.tag === TAG.SEQUENCE) {
      const [prfOid] = reader.sequence(field, "PBKDF2 PRF");
      const found = HMAC_PRFS[oidHex(prfOid, "PBKDF2 PRF")];
      if (!found) throw new UnsupportedError(`an unknown PBKDF2 PRF (OID ${oidText(prfOid!)})`);
      prf = found;
    } else {
      throw new DerError("unexpected field in the PBKDF2 parameters");
    }
  }
  const key = await pbkdf2(prf, password.utf8, reader.octets(salt, "PBKDF2 salt"), iterations, cipher.keyLength, budget);
  return nodeCbcDecrypt(cipher.cipher, key, iv, ciphertext);
}

/** An OID in dotted form, for messages about algorithms certcreds does not know. */
export function oidText(oid: Der): string {
  const bytes = oid.buf.subarray(oid.start, Math.min(oid.end, oid.start + 32));
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join(".");
}
