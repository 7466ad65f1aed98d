/**
 * Opens a PKCS#12 file (RFC 7292): checks its MAC with the password before
 * anything else, then reads its bags — the private key (plain or
 * "shrouded") and the certificates — through every layer of encryption.
 * Bounded everywhere: elements and depth (der.ts), bags, nesting, and the
 * work the key derivations may cost (kdf.ts).
 */
import { nodeCrypto } from "../../../core/node-builtins.js";
import { type Der, DerReader, encoding, oidHex, smallInteger, TAG } from "./der.js";
import { decrypt, oidText, type PasswordForms, passwordCandidates } from "./decrypt.js";
import { DerError, UnsupportedError } from "./errors.js";
import { DIGESTS, pkcs12Kdf, WorkBudget } from "./kdf.js";

const OID = {
  data: "2a864886f70d010701",
  signedData: "2a864886f70d010702",
  envelopedData: "2a864886f70d010703",
  encryptedData: "2a864886f70d010706",
  keyBag: "2a864886f70d010c0a0101",
  shroudedKeyBag: "2a864886f70d010c0a0102",
  certBag: "2a864886f70d010c0a0103",
  safeContentsBag: "2a864886f70d010c0a0106",
  x509Certificate: "2a864886f70d01091601",
  localKeyId: "2a864886f70d010915",
} as const;

/** Bags read in one file, of every kind: a certificate, its key and a chain are a handful; a CA bundle a few hundred. */
export const MAX_BAGS = 1_000;
/** ContentInfos of the AuthenticatedSafe: OpenSSL writes two, one per kind of bag. */
const MAX_CONTENT_INFOS = 64;
/** Nesting of safeContentsBag (a bag holding a list of bags); real files do not nest at all. */
const MAX_BAG_NESTING = 4;

/** A certificate found in the file. */
export interface Pkcs12Certificate {
  der: Buffer;
  localKeyId: Buffer | undefined;
}

/** What a PKCS#12 file holds. */
export interface Pkcs12Contents {
  /** The private keys, as PKCS#8 PrivateKeyInfo DER (decrypted). */
  keys: { der: Buffer; localKeyId: Buffer | undefined }[];
  certificates: Pkcs12Certificate[];
  /** Bags of kinds not used (CRLs, secrets...). */
  otherBags: number;
}

/** Why a file did not open with the password given: no MAC verified, or a part did not decrypt. */
export class PasswordMismatch extends Error {
  override name = "PasswordMismatch";
  constructor(readonly check: "mac" | "decrypt") {
    super(check === "mac" ? "the MAC does not verify" : "a part does not decrypt");
  }
}

interface MacData {
  digestOid: Der;
  digest: Buffer;
  salt: Buffer;
  iterations: number;
}

/**
 * Opens a PFX with `password` (undefined or "": the empty and the absent
 * password are tried, as OpenSSL does). Throws DerError, UnsupportedError,
 * WorkLimitError or {@link PasswordMismatch}.
 */
export async function openPfx(bytes: Buffer, password: string | undefined, budget = new WorkBudget()): Promise<Pkcs12Contents> {
  const reader = new DerReader();
  const fields = reader.sequence(reader.root(bytes), "PFX");
  if (smallInteger(fields[0], "PFX version") !== 3) throw new DerError("PFX version is not 3");
  const [contentType, content] = reader.sequence(fields[1], "authSafe");
  const type = oidHex(contentType, "authSafe content type");
  if (type === OID.signedData) throw new UnsupportedError("public-key integrity (a signed authSafe)");
  if (type !== OID.data) throw new DerError("authSafe is not data");
  const authSafe = reader.octets(reader.explicit(content, "authSafe content"), "authSafe content");
  const mac = fields[2] === undefined ? undefined : macData(reader, fields[2]);
  if (fields.length > 3) throw new DerError("PFX has more than three fields");

  const candidates = passwordCandidates(password);
  // A password given that fails may still be the empty one's file (a password set for every file).
  if (password) candidates.push(...passwordCandidates(undefined));
  let chosen: PasswordForms[] = candidates;
  if (mac) {
    const verified = await firstVerifying(mac, authSafe, candidates, budget);
    if (!verified) throw new PasswordMismatch("mac");
    chosen = [verified];
  }
  // Without a MAC (openssl pkcs12 -nomac) the first password form that decrypts everything is the one.
  let last: unknown;
  for (const candidate of chosen) {
    try {
      return await readAuthSafe(new DerReader(), authSafe, candidate, budget, mac !== undefined);
    } catch (error) {
      if (!(error instanceof PasswordMismatch)) throw error;
      last = error;
    }
  }
  throw last;
}

function macData(reader: DerReader, element: Der): MacData {
  const [digestInfo, salt, iterations] = reader.sequence(element, "macData");
  const [algorithm, digest] = reader.sequence(digestInfo, "MAC digest info");
  const [digestOid] = reader.sequence(algorithm, "MAC algorithm");
  return {
    digestOid: digestOid!,
    digest: reader.octets(digest, "MAC value"),
    salt: reader.octets(salt, "MAC salt"),
    // The iteration count defaults to 1 (RFC 7292).
    iterations: iterations === undefined ? 1 : smallInteger(iterations, "MAC iteration count"),
  };
}

async function firstVerifying(mac: MacData, authSafe: Buffer, candidates: PasswordForms[], budget: WorkBudget): Promise<PasswordForms | undefined> {
  const digest = DIGESTS[oidHex(mac.digestOid, "MAC algorithm")];
  if (!digest) {
    const pbmac1 = oidHex(mac.digestOid, "MAC algorithm") === "2a864886f70d01050e";
    throw new UnsupportedError(pbmac1 ? "a PBMAC1 integrity check" : `an unknown MAC digest (OID ${oidText(mac.digestOid)})`);
  }
  if (mac.digest.length !== digest.u) throw new DerError("MAC value of the wrong size");
  const crypto = nodeCrypto();
  for (const candidate of candidates) {
    const key = await pkcs12Kdf(digest, candidate.bmp, mac.salt, 3, mac.iterations, digest.u, budget);
    const computed = crypto.createHmac(digest.name, key).update(authSafe).digest();
    if (crypto.timingSafeEqual(computed, mac.digest)) return candidate;
  }
  return undefined;
}

/** Counts what one open reads, across nested lists. */
interface Walk {
  reader: DerReader;
  password: PasswordForms;
  budget: WorkBudget;
  bags: number;
  /** Whether the MAC verified the password (without one, decrypted garbage means a wrong password). */
  verified: boolean;
  contents: Pkcs12Contents;
}

async function readAuthSafe(reader: DerReader, authSafe: Buffer, password: PasswordForms, budget: WorkBudget, verified: boolean): Promise<Pkcs12Contents> {
  const walk: Walk = { reader, password, budget, bags: 0, verified, contents: { keys: [], certificates: [], otherBags: 0 } };
  const infos = reader.sequence(reader.root(authSafe), "AuthenticatedSafe", TAG.SEQUENCE, MAX_CONTENT_INFOS);
  for (const info of infos) {
    const [contentType, content] = reader.sequence(info, "ContentInfo");
    const type = oidHex(contentType, "ContentInfo type");
    if (type === OID.data) {
      await readSafeContents(walk, reader.octets(reader.explicit(content, "data content"), "data content"), 0);
    } else if (type === OID.encryptedData) {
      const [version, encryptedContentInfo] = reader.sequence(reader.explicit(content, "encryptedData content"), "EncryptedData");
      smallInteger(version, "EncryptedData version");
      const [, algorithm, encrypted] = reader.sequence(encryptedContentInfo, "EncryptedContentInfo");
      // An absent encryptedContent is an empty list of bags.
      if (encrypted === undefined) continue;
      const ciphertext = reader.octets(encrypted, "encrypted content", TAG.CONTEXT_0_PRIMITIVE);
      const plaintext = await decrypt(reader, algorithm!, ciphertext, password, budget);
      if (plaintext === undefined) throw new PasswordMismatch("decrypt");
      try {
        await readSafeContents(walk, plaintext, 0);
      } catch (error) {
        // Without a MAC, a wrong key passes the padding check once in 256 tries: garbage then is a wrong password.
        throw error instanceof DerError && !walk.verified ? new PasswordMismatch("decrypt") : error;
      }
    } else if (type === OID.envelopedData) {
      throw new UnsupportedError("public-key privacy (an envelopedData part)");
    } else {
      throw new DerError("unknown ContentInfo type");
    }
  }
  return walk.contents;
}

async function readSafeContents(walk: Walk, der: Buffer, nesting: number): Promise<void> {
  const { reader } = walk;
  const bags = reader.sequence(reader.root(der), "SafeContents", TAG.SEQUENCE, MAX_BAGS);
  for (const bag of bags) await readBag(walk, bag, nesting);
}

async function readBag(walk: Walk, bag: Der, nesting: number): Promise<void> {
  const { reader, contents } = walk;
  if (++walk.bags > MAX_BAGS) throw new DerError(`more than ${MAX_BAGS} bags`);
  const [bagId, value, attributes] = reader.sequence(bag, "SafeBag");
  const id = oidHex(bagId, "bag type");
  const inner = reader.explicit(value, "bag value");
  const localKeyId = attributes === undefined ? undefined : localKeyIdOf(reader, attributes);
  if (id === OID.keyBag) {
    contents.keys.push({ der: Buffer.from(encoding(inner)), localKeyId });
  } else if (id === OID.shroudedKeyBag) {
    const [algorithm, encrypted] = reader.sequence(inner, "EncryptedPrivateKeyInfo");
    const plaintext = await decrypt(reader, algorithm!, reader.octets(encrypted, "encrypted key"), walk.password, walk.budget);
    if (plaintext === undefined) throw new PasswordMismatch("decrypt");
    contents.keys.push({ der: plaintext, localKeyId });
  } else if (id === OID.certBag) {
    const [certType, certValue] = reader.sequence(inner, "CertBag");
    // Other certificate types (SDSI) are not X.509: nothing uses them.
    if (oidHex(certType, "certificate type") !== OID.x509Certificate) contents.otherBags++;
    else contents.certificates.push({ der: Buffer.from(reader.octets(reader.explicit(certValue, "certificate value"), "certificate")), localKeyId });
  } else if (id === OID.safeContentsBag) {
    if (nesting >= MAX_BAG_NESTING) throw new DerError(`bags nested deeper than ${MAX_BAG_NESTING} levels`);
    for (const nested of reader.sequence(inner, "SafeContents", TAG.SEQUENCE, MAX_BAGS)) await readBag(walk, nested, nesting + 1);
  } else {
    contents.otherBags++;
  }
}

/** The localKeyId attribute of a bag, which pairs a key with its certificate. */
function localKeyIdOf(reader: DerReader, attributes: Der): Buffer | undefined {
  for (const attribute of reader.sequence(attributes, "bag attributes", TAG.SET, 64)) {
    const [type, values] = reader.sequence(attribute, "bag attribute");
    if (oidHex(type, "bag attribute type") !== OID.localKeyId) continue;
    const [first] = reader.sequence(values, "localKeyId values", TAG.SET, 16);
    return Buffer.from(reader.octets(first, "localKeyId"));
  }
  return undefined;
}
