/**
 * Opening PKCS#12 files as an identity's certificate: files written by the
 * real `openssl pkcs12 -export` in both encodings, with and without
 * password, MAC and intermediates; wrong and missing passwords; tampering;
 * and the constructs openssl does not write (BER, nesting, several keys,
 * hostile counts) from the test writer.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CertcredsError, InputFormatError, KeyMismatchError, PassphraseError } from "../../../../src/core/errors.js";
import { loadIdentity, releaseIdentity } from "../../../../src/identity/load-identity.js";
import { WorkLimitError } from "../../../../src/identity/sources/pkcs12/errors.js";
import { WorkBudget } from "../../../../src/identity/sources/pkcs12/kdf.js";
import { openPfx } from "../../../../src/identity/sources/pkcs12/pfx.js";
import { createTestCertificateAuthority, type TestCertificate, type TestCertificateAuthority } from "../../../../testing/index.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable, writePfx } from "../../../helpers/pkcs12.js";

type Issued = TestCertificate & { privateKeyPem: string };
const now = new Date();
const PASSWORD = "p12 pass-wörd";

describe("PKCS#12 files as the certificate", { skip: opensslUnavailable() }, () => {
  let dir: string;
  let root: TestCertificateAuthority;
  let issuing: TestCertificateAuthority;
  const leaves: Record<"ec" | "rsa", Issued> = {} as never;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certcreds-p12-"));
    root = await createTestCertificateAuthority({ commonName: "p12 root" });
    issuing = await root.createIntermediate({ commonName: "p12 issuing CA" });
    leaves.ec = (await issuing.issue({ commonName: "p12-ec", keyType: "ec-p256" })) as Issued;
    leaves.rsa = (await issuing.issue({ commonName: "p12-rsa", keyType: "rsa-2048" })) as Issued;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function opened(file: string | Buffer, passphrase?: string) {
    const init = { certificate: file, ...(passphrase !== undefined ? { passphrase } : {}) };
    try {
      return await loadIdentity(init, now);
    } finally {
      await releaseIdentity(init);
    }
  }

  for (const legacy of [false, true]) {
    for (const keyType of ["ec", "rsa"] as const) {
      for (const password of [PASSWORD, undefined]) {
        const name = `${legacy ? "legacy" : "default"}-${keyType}-${password ? "password" : "empty"}.p12`;
        test(`${legacy ? "-legacy (3DES key, RC2-40 certificates, SHA-1 MAC)" : "default (PBES2 AES-256, PBKDF2-SHA256, SHA-256 MAC)"}, ${keyType}, ${password ? "a password" : "the empty password"}, with the chain and root`, {
          skip: legacy ? opensslLegacyUnavailable() : undefined,
        }, async () => {
          const leaf = leaves[keyType];
          const file = await exportPkcs12(dir, name, {
            certificatePem: leaf.certificatePem,
            keyPem: leaf.privateKeyPem,
            chainPem: issuing.certificatePem + root.certificatePem,
            ...(password ? { password } : {}),
            legacy,
          });
          for (const input of [file, await readFile(file)]) {
            const identity = await opened(input, password);
            assert.equal(identity.certificate.fingerprint256, leaf.certificate.fingerprint256, "the key's certificate comes first");
            assert.deepEqual(
              identity.chain.map((c) => c.subject),
              [issuing.certificate.subject],
              "the intermediate, without the self-signed root",
            );
            assert.equal(identity.privateKey?.asymmetricKeyType, keyType);
            assert.ok(identity.certificate.checkPrivateKey(identity.privateKey!));
          }
          if (!password) {
            // A password set for every file does not stop one with the empty password from opening.
            assert.ok(await opened(file, "some other file's password"));
          } else {
            const missing = await opened(file).catch((e: unknown) => e);
            assert.ok(missing instanceof PassphraseError);
            assert.match(missing.message, /password-protected PKCS#12 file: pass its password with the passphrase option \(CLI: --pkcs12-password/);
            const wrong = await opened(file, "not the password").catch((e: unknown) => e);
            assert.ok(wrong instanceof PassphraseError);
            assert.match(wrong.message, /the password given does not open: its integrity check \(MAC\) fails/);
            assert.ok(!wrong.message.includes("not the password") && !wrong.message.includes(PASSWORD), "no password in the message");
            assert.ok(!wrong.message.includes("\n"), "one line");
          }
        });
      }
    }
  }

  test("without a MAC (-nomac), unencrypted (-keypbe NONE -certpbe NONE), and with only the certificate and key", async () => {
    const leaf = leaves.ec;
    const nomac = await exportPkcs12(dir, "nomac.p12", { certificatePem: leaf.certificatePem, keyPem: leaf.privateKeyPem, password: PASSWORD, nomac: true });
    assert.equal((await opened(nomac, PASSWORD)).certificate.fingerprint256, leaf.certificate.fingerprint256);
    await assert.rejects(opened(nomac, "wrong"), (e: unknown) => e instanceof PassphraseError && /does not decrypt/.test(e.message));
    const plain = await exportPkcs12(dir, "plain.p12", { certificatePem: leaf.certificatePem, keyPem: leaf.privateKeyPem, unencrypted: true });
    assert.equal((await opened(plain)).chain.length, 0);
  });

  test("a file without a key, and one whose key has no certificate in it: typed errors that say so", async () => {
    const noKey = await exportPkcs12(dir, "nokey.p12", { certificatePem: leaves.ec.certificatePem, password: PASSWORD });
    await assert.rejects(opened(noKey, PASSWORD), (e: unknown) => e instanceof InputFormatError && /without a private key/.test(e.message));
    const stray = await writePfx({ keys: [leaves.rsa.privateKey!], certificates: [leaves.ec.certificate], password: PASSWORD, localKeyIds: false });
    await assert.rejects(opened(stray, PASSWORD), (e: unknown) => e instanceof KeyMismatchError && /has no certificate in it/.test(e.message));
    const twoKeys = await writePfx({
      keys: [leaves.ec.privateKey!, leaves.rsa.privateKey!],
      certificates: [leaves.ec.certificate, leaves.rsa.certificate],
      password: PASSWORD,
    });
    await assert.rejects(opened(twoKeys, PASSWORD), (e: unknown) => e instanceof InputFormatError && /holding 2 private keys/.test(e.message));
  });

  test("MAC tampering: a changed MAC, a changed byte of the content — the MAC catches both before any decryption", async () => {
    const file = await readFile(
      await exportPkcs12(dir, "tamper.p12", { certificatePem: leaves.ec.certificatePem, keyPem: leaves.ec.privateKeyPem, password: PASSWORD }),
    );
    // The MAC value is the last 32-byte OCTET STRING, before the salt and the count.
    const macAt = file.lastIndexOf(Buffer.from([0x04, 0x20])) + 2;
    for (const at of [macAt + 5, 200, file.length - 120]) {
      const altered = Buffer.from(file);
      altered[at]! ^= 0x01;
      const error = await opened(altered, PASSWORD).catch((e: unknown) => e);
      assert.ok(error instanceof CertcredsError, `byte ${at}: ${error}`);
      assert.ok(error instanceof PassphraseError || error instanceof InputFormatError, `byte ${at}: ${(error as Error).name}`);
    }
    const content = Buffer.from(file);
    content[macAt - 200]! ^= 0x40;
    await assert.rejects(opened(content, PASSWORD), (e: unknown) => e instanceof PassphraseError && /MAC\) fails/.test(e.message));
  });

  test("BER (indefinite lengths, the content in pieces), nested bags, plain keyBags, certificates in several parts", async () => {
    const leaf = leaves.rsa;
    const certificates = [leaf.certificate, issuing.certificate];
    for (const spec of [{ ber: true }, { nesting: 3 }, { plainKeys: true }, { certificateParts: 2 }, { noMac: true, ber: true }]) {
      const file = await writePfx({ keys: [leaf.privateKey!], certificates, password: PASSWORD, ...spec });
      const identity = await opened(file, PASSWORD);
      assert.equal(identity.certificate.fingerprint256, leaf.certificate.fingerprint256, JSON.stringify(spec));
      assert.equal(identity.chain.length, 1);
    }
    const deep = await writePfx({ keys: [leaf.privateKey!], certificates, password: PASSWORD, nesting: 5 });
    await assert.rejects(opened(deep, PASSWORD), (e: unknown) => e instanceof InputFormatError && /nested deeper/.test(e.message));
  });

  test("absurd iteration counts are refused at once with a typed error; the total work of a file is capped", async () => {
    const certificates = [leaves.ec.certificate];
    const keys = [leaves.ec.privateKey!];
    for (const file of [
      await writePfx({ keys, certificates, password: PASSWORD, macIterations: 2 ** 31 - 1 }),
      await writePfx({ keys, certificates, password: PASSWORD, noMac: true, declaredIterations: 2 ** 31 - 1 }),
      await writePfx({ keys, certificates, password: PASSWORD, declaredIterations: 2 ** 40 }),
    ]) {
      const started = performance.now();
      const error = await opened(file, PASSWORD).catch((e: unknown) => e);
      assert.ok(error instanceof InputFormatError, String(error));
      assert.match(error.message, /asks for \d+ key-derivation iterations \(at most 1,000,000 are accepted\): refused/);
      assert.ok(performance.now() - started < 2000, "refused without the work");
    }
    const parts = await writePfx({
      keys,
      certificates: [leaves.ec.certificate, issuing.certificate, root.certificate],
      password: PASSWORD,
      certificateParts: 3,
      iterations: 3000,
    });
    await assert.rejects(openPfx(parts, PASSWORD, new WorkBudget(10_000)), WorkLimitError);
    assert.equal((await openPfx(parts, PASSWORD, new WorkBudget(20_000))).certificates.length, 3);
  });

  test("an unchanged file is not opened again at the next load; a renewed one is", async () => {
    const path = join(dir, "renewed.p12");
    await writeFile(path, await writePfx({ keys: [leaves.ec.privateKey!], certificates: [leaves.ec.certificate], password: PASSWORD }));
    const init = { certificate: path, passphrase: PASSWORD };
    try {
      const first = await loadIdentity(init, now);
      const second = await loadIdentity(init, now);
      assert.equal(second.privateKey, first.privateKey, "the key of the unchanged file, kept");
      await writeFile(path, await writePfx({ keys: [leaves.rsa.privateKey!], certificates: [leaves.rsa.certificate], password: PASSWORD }));
      const renewed = await loadIdentity(init, now);
      assert.equal(renewed.certificate.fingerprint256, leaves.rsa.certificate.fingerprint256);
      // The same path as a PEM holding its key: read as any certificate file.
      await writeFile(path, leaves.ec.certificatePem + leaves.ec.privateKeyPem);
      assert.equal((await loadIdentity(init, now)).certificate.fingerprint256, leaves.ec.certificate.fingerprint256);
    } finally {
      await releaseIdentity(init);
    }
  });

  test("a PKCS#12 file with privateKey named besides: the error says to leave the key out", async () => {
    const file = await exportPkcs12(dir, "with-key.p12", { certificatePem: leaves.ec.certificatePem, keyPem: leaves.ec.privateKeyPem, password: PASSWORD });
    const init = { certificate: file, privateKey: leaves.ec.privateKeyPem, passphrase: PASSWORD };
    await assert.rejects(
      loadIdentity(init, now),
      (e: unknown) => e instanceof InputFormatError && /is a PKCS#12 file, which holds its own key/.test(e.message),
    );
    await releaseIdentity(init);
  });

  test("a certificate with a negative serial (only tampering makes one) is a typed error, from a PKCS#12 file or a DER file", async () => {
    const der = Buffer.from(leaves.ec.certificateDer);
    // TBSCertificate: version [0] { INTEGER 2 }, then the serial INTEGER of 20 bytes; its top bit makes it negative.
    // Its first byte becomes 0x80–0xbf, never 0xff: 0xff before a byte ≥ 0x80 is not minimal DER, which OpenSSL
    // refuses to parse (a random serial starting 0x7f made this test fail about once in 128 runs).
    const at = der.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14])) + 7;
    assert.ok(at >= 7, "the serial was found");
    der[at] = 0x80 | (der[at]! & 0x3f);
    const negative = new X509Certificate(der);
    assert.match(negative.serialNumber, /^-/);
    const file = await writePfx({ keys: [leaves.ec.privateKey!], certificates: [negative], password: PASSWORD });
    await assert.rejects(opened(file, PASSWORD), (e: unknown) => e instanceof InputFormatError && /negative serial number/.test(e.message));
    const init = { certificate: der, privateKey: leaves.ec.privateKeyPem };
    await assert.rejects(loadIdentity(init, now), (e: unknown) => e instanceof InputFormatError && /negative serial number/.test(e.message));
    await releaseIdentity(init);
  });
});
