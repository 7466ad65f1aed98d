/**
 * PKCS#12 files for tests, made at test time: by the real `openssl pkcs12
 * -export` (OpenSSL 3's default encoding, and `-legacy` through the legacy
 * provider), and by {@link writePfx} for what openssl cannot write (BER
 * lengths, several keys, nested bags, hostile iteration counts). The writer
 * encrypts with PBES2 through Node's own PBKDF2 and AES; only its MAC key
 * comes from the library's PKCS#12 KDF, which kdf.test.ts checks against
 * `openssl kdf` and published vectors.
 */
import { execFile, execFileSync } from "node:child_process";
import { createCipheriv, createHmac, type KeyObject, pbkdf2Sync, randomBytes, type X509Certificate } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { bmpPassword, DIGESTS, MAX_ITERATIONS, pkcs12Kdf, WorkBudget } from "../../src/identity/sources/pkcs12/kdf.js";
import { explicit, implicit, integer, nullValue, octetString, oid, sequence, set } from "../../testing/pki/der.js";

const run = promisify(execFile);

/** Why `openssl pkcs12` tests cannot run here, or undefined. */
export function opensslUnavailable(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "openssl is not installed: apt-get install openssl";
  }
}

/** Why `-legacy` files cannot be made here (OpenSSL 3 without its legacy provider), or undefined. */
export function opensslLegacyUnavailable(): string | undefined {
  const missing = opensslUnavailable();
  if (missing) return missing;
  try {
    execFileSync("openssl", ["list", "-cipher-algorithms", "-provider", "legacy"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "openssl has no legacy provider (needed for pkcs12 -legacy)";
  }
}

export interface ExportOptions {
  certificatePem: string;
  keyPem?: string;
  /** Extra certificates (intermediates, a root) as one PEM bundle. */
  chainPem?: string;
  /** undefined: the empty password. */
  password?: string;
  legacy?: boolean;
  nomac?: boolean;
  /** Neither key nor certificates encrypted (-keypbe NONE -certpbe NONE). */
  unencrypted?: boolean;
  /** -iter: iterations of the encryption key derivations. */
  iterations?: number;
}

/** `openssl pkcs12 -export` into dir/name; the password goes through the environment, not argv. */
export async function exportPkcs12(dir: string, name: string, options: ExportOptions): Promise<string> {
  const files = { cert: join(dir, `${name}.cert.pem`), key: join(dir, `${name}.key.pem`), chain: join(dir, `${name}.chain.pem`) };
  await writeFile(files.cert, options.certificatePem);
  const args = ["pkcs12", "-export", "-in", files.cert, "-out", join(dir, name), "-passout", "env:P12_TEST_PASSWORD"];
  if (options.keyPem) {
    await writeFile(files.key, options.keyPem, { mode: 0o600 });
    args.push("-inkey", files.key);
  } else {
    args.push("-nokeys");
  }
  if (options.chainPem) {
    await writeFile(files.chain, options.chainPem);
    args.push("-certfile", files.chain);
  }
  if (options.legacy) args.push("-legacy");
  if (options.nomac) args.push("-nomac");
  if (options.unencrypted) args.push("-keypbe", "NONE", "-certpbe", "NONE");
  if (options.iterations !== undefined) args.push("-iter", String(options.iterations));
  await run("openssl", args, { env: { ...process.env, P12_TEST_PASSWORD: options.password ?? "" } });
  return join(dir, name);
}

const OIDS = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSha256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** What {@link writePfx} writes. */
export interface PfxSpec {
  keys: KeyObject[];
  certificates: X509Certificate[];
  password: string;
  /** PBKDF2 iterations of every encrypted part (default 2048). */
  iterations?: number;
  /** The PBKDF2 count written into the file instead of the one used (a hostile count, without its cost here). */
  declaredIterations?: number;
  /** MAC iterations (default 2048); above the library's cap the MAC is random bytes (it is refused before it is checked). */
  macIterations?: number;
  /** Write no MacData. */
  noMac?: boolean;
  /** Keys unencrypted in keyBags rather than shrouded. */
  plainKeys?: boolean;
  /** The certificates in this many encrypted parts (default 1). */
  certificateParts?: number;
  /** Wrap the key's bag in this many safeContentsBags. */
  nesting?: number;
  /** The outer layers in BER: indefinite lengths, the authSafe OCTET STRING in 100-byte pieces (as Windows and Java write). */
  ber?: boolean;
  /** localKeyId attributes pairing key i with certificate i (default true). */
  localKeyIds?: boolean;
  /** Changes the AuthenticatedSafe before the MAC is computed over it (so that a damaged inside passes the MAC). */
  mutateAuthSafe?: (authSafe: Buffer) => Buffer;
}

function pbes2(password: string, plaintext: Buffer, iterations: number, declared = iterations): { algorithm: Buffer; ciphertext: Buffer } {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const kdf = sequence(oid(OIDS.pbkdf2), sequence(octetString(salt), integer(declared), sequence(oid(OIDS.hmacWithSha256), nullValue())));
  return { algorithm: sequence(oid(OIDS.pbes2), sequence(kdf, sequence(oid(OIDS.aes256Cbc), octetString(iv)))), ciphertext };
}

const attributes = (id: Buffer | undefined) => (id ? [set(sequence(oid(OIDS.localKeyId), set(octetString(id))))] : []);

/** `SEQUENCE { … }` with an indefinite length (BER). */
function indefinite(tag: number, ...items: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from([tag, 0x80]), ...items, Buffer.from([0, 0])]);
}

/** A PKCS#12 file as `spec` says, with PBES2 (AES-256, PBKDF2-SHA256) and a SHA-256 MAC. */
export async function writePfx(spec: PfxSpec): Promise<Buffer> {
  const iterations = spec.iterations ?? 2048;
  const ids = spec.certificates.map((_, i) => (spec.localKeyIds === false ? undefined : Buffer.from([0x10 + i])));
  let keyBags = spec.keys.map((key, i) => {
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    if (spec.plainKeys) return sequence(oid(OIDS.keyBag), explicit(0, pkcs8), ...attributes(ids[i]));
    const { algorithm, ciphertext } = pbes2(spec.password, pkcs8, iterations, spec.declaredIterations);
    return sequence(oid(OIDS.shroudedKeyBag), explicit(0, sequence(algorithm, octetString(ciphertext))), ...attributes(ids[i]));
  });
  for (let level = 0; level < (spec.nesting ?? 0); level++) keyBags = [sequence(oid(OIDS.safeContentsBag), explicit(0, sequence(...keyBags)))];
  const certBags = spec.certificates.map((certificate, i) =>
    sequence(oid(OIDS.certBag), explicit(0, sequence(oid(OIDS.x509Certificate), explicit(0, octetString(certificate.raw)))), ...attributes(ids[i])),
  );
  const parts = Math.max(1, spec.certificateParts ?? 1);
  const infos: Buffer[] = [];
  for (let part = 0; part < parts; part++) {
    const bags = certBags.filter((_, i) => i % parts === part);
    const { algorithm, ciphertext } = pbes2(spec.password, sequence(...bags), iterations, spec.declaredIterations);
    infos.push(sequence(oid(OIDS.encryptedData), explicit(0, sequence(integer(0), sequence(oid(OIDS.data), algorithm, implicit(0, ciphertext))))));
  }
  infos.push(sequence(oid(OIDS.data), explicit(0, octetString(sequence(...keyBags)))));
  const authSafe = spec.mutateAuthSafe ? spec.mutateAuthSafe(sequence(...infos)) : sequence(...infos);
  const macIterations = spec.macIterations ?? 2048;
  const macSalt = randomBytes(8);
  let mac: Buffer;
  if (macIterations > MAX_ITERATIONS) {
    mac = randomBytes(32);
  } else {
    const key = await pkcs12Kdf(DIGESTS["608648016503040201"]!, bmpPassword(spec.password), macSalt, 3, macIterations, 32, new WorkBudget());
    mac = createHmac("sha256", key).update(authSafe).digest();
  }
  const macData = spec.noMac
    ? []
    : [sequence(sequence(sequence(oid(OIDS.sha256), nullValue()), octetString(mac)), octetString(macSalt), integer(macIterations))];
  if (!spec.ber) return sequence(integer(3), sequence(oid(OIDS.data), explicit(0, octetString(authSafe))), ...macData);
  const pieces: Buffer[] = [];
  for (let at = 0; at < authSafe.length; at += 100) pieces.push(octetString(authSafe.subarray(at, at + 100)));
  const content = indefinite(0xa0, indefinite(0x24, ...pieces));
  return indefinite(0x30, integer(3), indefinite(0x30, oid(OIDS.data), content), ...macData);
}
