import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  CertificateChainError,
  CertificateValidityError,
  ConfigurationError,
  InputFormatError,
  InputReadError,
  KeyMismatchError,
  PassphraseError,
  UnsupportedKeyError,
} from "../../src/core/errors.js";
import { loadIdentity } from "../../src/identity/load-identity.js";
import { createTestCertificateAuthority, type TestCertificate, type TestCertificateAuthority } from "../../testing/index.js";

const now = new Date();
let dir: string;
let root: TestCertificateAuthority;
let intermediate: TestCertificateAuthority;
let ec: TestCertificate;
let rsa: TestCertificate;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-identity-"));
  root = await createTestCertificateAuthority({ commonName: "Root" });
  intermediate = await root.createIntermediate({ commonName: "Issuing CA" });
  ec = await intermediate.issue({ commonName: "ec-device", keyType: "ec-p256" });
  rsa = await root.issue({ commonName: "rsa-device", keyType: "rsa-2048" });
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

test("certificate from a file, key from PEM text, chain as PEM: loads, orders, decimal serial", async () => {
  const identity = await loadIdentity(
    { certificate: await file("ec.pem", ec.certificatePem), privateKey: ec.privateKeyPem!, certificateChain: intermediate.certificatePem },
    now,
  );
  assert.equal(identity.serialNumber, ec.serialNumber.toString(10));
  assert.equal(identity.chain.length, 1);
  assert.equal(identity.signer.algorithm, "AWS4-X509-ECDSA-SHA256");
});

test("DER bytes for certificate and every key encoding: PKCS#8, PKCS#1, SEC1", async () => {
  const forms = [
    ["rsa pkcs8 der", rsa, rsa.privateKey!.export({ type: "pkcs8", format: "der" })],
    ["rsa pkcs1 pem", rsa, rsa.privateKey!.export({ type: "pkcs1", format: "pem" })],
    ["rsa pkcs1 der", rsa, rsa.privateKey!.export({ type: "pkcs1", format: "der" })],
    ["ec sec1 pem", ec, ec.privateKey!.export({ type: "sec1", format: "pem" })],
    ["ec sec1 der", ec, ec.privateKey!.export({ type: "sec1", format: "der" })],
  ] as const;
  for (const [label, cert, key] of forms) {
    const identity = await loadIdentity(
      {
        certificate: new Uint8Array(cert.certificateDer),
        privateKey: typeof key === "string" ? Buffer.from(key) : key,
        ...(cert === ec ? { certificateChain: [intermediate.certificateDer] } : {}),
      },
      now,
    );
    assert.equal(identity.certificate.serialNumber, cert.certificate.serialNumber, label);
  }
});

test("one PEM holding certificate, chain and key is understood", async () => {
  const bundle = [ec.certificatePem, intermediate.certificatePem, ec.privateKeyPem].join("\n");
  const identity = await loadIdentity({ certificate: await file("bundle.pem", bundle) }, now);
  assert.equal(identity.chain.length, 1);
  assert.ok(identity.privateKey);
});

test("encrypted PKCS#8: works with the passphrase; without or wrong gives PassphraseError", async () => {
  const encrypted = ec.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "correct horse" });
  const init = { certificate: ec.certificatePem, certificateChain: intermediate.certificatePem, privateKey: encrypted };
  assert.ok(await loadIdentity({ ...init, passphrase: "correct horse" }, now));
  await assert.rejects(loadIdentity(init, now), (e: unknown) => e instanceof PassphraseError && /encrypted/.test(e.message) && /passphrase/.test(e.message));
  await assert.rejects(loadIdentity({ ...init, passphrase: "wrong" }, now), (e: unknown) => e instanceof PassphraseError && !e.message.includes('wrong"'));
  const der = ec.privateKey!.export({ type: "pkcs8", format: "der", cipher: "aes-256-cbc", passphrase: "pw" });
  assert.ok(await loadIdentity({ ...init, privateKey: der, passphrase: "pw" }, now));
});

test("missing, unreadable and directory paths give InputReadError naming the path", async () => {
  const missing = join(dir, "nope.pem");
  await assert.rejects(
    loadIdentity({ certificate: missing, privateKey: ec.privateKeyPem! }, now),
    (e: unknown) => e instanceof InputReadError && e.message.includes(missing) && /does not exist/.test(e.message),
  );
  await assert.rejects(
    loadIdentity({ certificate: dir, privateKey: ec.privateKeyPem! }, now),
    (e: unknown) => e instanceof InputReadError && /directory/.test(e.message),
  );
  if (process.getuid?.() !== 0) {
    const locked = await file("locked.pem", ec.certificatePem);
    await chmod(locked, 0);
    await assert.rejects(
      loadIdentity({ certificate: locked, privateKey: ec.privateKeyPem! }, now),
      (e: unknown) => e instanceof InputReadError && /permissions/.test(e.message),
    );
  }
});

test("garbage, truncated PEM and wrong PEM labels give InputFormatError", async () => {
  const cases: [string, unknown][] = [
    ["garbage bytes", { certificate: Buffer.from([0x30, 0x03, 0x01, 0x02]), privateKey: ec.privateKeyPem! }],
    ["truncated certificate", { certificate: ec.certificatePem.slice(0, 200) + "\n-----END CERTIFICATE-----\n", privateKey: ec.privateKeyPem! }],
    ["key where the certificate should be", { certificate: ec.privateKeyPem!, privateKey: ec.privateKeyPem! }],
    ["certificate where the key should be", { certificate: ec.certificatePem, certificateChain: intermediate.certificatePem, privateKey: ec.certificatePem }],
    ["garbage key bytes", { certificate: ec.certificatePem, certificateChain: intermediate.certificatePem, privateKey: Buffer.from("not a key at all") }],
  ];
  for (const [label, init] of cases) {
    await assert.rejects(loadIdentity(init as never, now), (e: unknown) => e instanceof InputFormatError && e.message.length > 30, label);
  }
});

test("no key anywhere gives a clear error", async () => {
  await assert.rejects(loadIdentity({ certificate: ec.certificatePem }, now), (e: unknown) => e instanceof InputFormatError && /privateKey/.test(e.message));
  await assert.rejects(loadIdentity({} as never, now), ConfigurationError);
});

test("a key that is not the certificate's gives KeyMismatchError", async () => {
  await assert.rejects(
    loadIdentity({ certificate: ec.certificatePem, certificateChain: intermediate.certificatePem, privateKey: rsa.privateKeyPem! }, now),
    (e: unknown) => e instanceof KeyMismatchError && /does not belong/.test(e.message),
  );
});

test("Ed25519, RSA-1024 and DSA keys are refused with UnsupportedKeyError", async () => {
  const ed = await root.issue({ keyType: "ed25519" });
  const weak = await root.issue({ keyType: "rsa-1024" });
  for (const cert of [ed, weak]) {
    await assert.rejects(
      loadIdentity({ certificate: cert.certificatePem, privateKey: cert.privateKeyPem! }, now),
      (e: unknown) => e instanceof UnsupportedKeyError && /2048/.test(e.message),
    );
  }
  const dsa = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }).privateKey.export({ type: "pkcs8", format: "pem" });
  await assert.rejects(loadIdentity({ certificate: rsa.certificatePem, privateKey: dsa }, now), UnsupportedKeyError);
});

test("expired and not-yet-valid certificates say when", async () => {
  const expired = await root.issue({ notBefore: new Date(Date.now() - 10 * 86400e3), notAfter: new Date(Date.now() - 86400e3) });
  await assert.rejects(
    loadIdentity({ certificate: expired.certificatePem, privateKey: expired.privateKeyPem! }, now),
    (e: unknown) => e instanceof CertificateValidityError && /expired on \d{4}-/.test(e.message),
  );
  const future = await root.issue({ notBefore: new Date(Date.now() + 86400e3), notAfter: new Date(Date.now() + 10 * 86400e3) });
  await assert.rejects(
    loadIdentity({ certificate: future.certificatePem, privateKey: future.privateKeyPem! }, now),
    (e: unknown) => e instanceof CertificateValidityError && /not valid until/.test(e.message),
  );
});

test("chain: reversed order is fixed; a certificate that does not link is an error", async () => {
  const second = await intermediate.createIntermediate({ commonName: "Second level" });
  const leaf = await second.issue({ commonName: "deep" });
  const identity = await loadIdentity(
    { certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem!, certificateChain: [intermediate.certificatePem, second.certificatePem] },
    now,
  );
  assert.deepEqual(
    identity.chain.map((c) => c.subject),
    [second.certificate.subject, intermediate.certificate.subject],
  );
  const stranger = await createTestCertificateAuthority({ commonName: "Unrelated CA" });
  await assert.rejects(
    loadIdentity({ certificate: ec.certificatePem, privateKey: ec.privateKeyPem!, certificateChain: stranger.certificatePem }, now),
    (e: unknown) => e instanceof CertificateChainError && /Unrelated CA/.test(e.message) && /Issuing CA/.test(e.message),
  );
});

test("files are re-read on every load: a renewed certificate is picked up", async () => {
  const certPath = await file("renew.pem", ec.certificatePem);
  const keyPath = await file("renew.key", ec.privateKeyPem!);
  const first = await loadIdentity({ certificate: certPath, privateKey: keyPath, certificateChain: intermediate.certificatePem }, now);
  const renewed = await intermediate.issue({ publicKey: ec.certificate.publicKey, commonName: "ec-device" });
  await writeFile(certPath, renewed.certificatePem);
  const second = await loadIdentity({ certificate: certPath, privateKey: keyPath, certificateChain: intermediate.certificatePem }, now);
  assert.notEqual(first.serialNumber, second.serialNumber);
  assert.equal(second.serialNumber, renewed.serialNumber.toString(10));
});

test("error messages never contain key material", async () => {
  const body = ec.privateKeyPem!.split("\n")[1]!;
  const attempts = [
    loadIdentity({ certificate: ec.certificatePem, certificateChain: intermediate.certificatePem, privateKey: rsa.privateKeyPem! }, now),
    loadIdentity({ certificate: ec.privateKeyPem!, privateKey: ec.privateKeyPem! }, now),
    loadIdentity({ certificate: ec.certificatePem, privateKey: ec.privateKeyPem!.replace(body, "!!!!") }, now),
  ];
  for (const attempt of attempts) {
    await assert.rejects(attempt, (e: unknown) => {
      const text = `${(e as Error).message} ${String((e as Error).stack)}`;
      return !text.includes(body.slice(0, 20)) && !text.includes("PRIVATE KEY-----\n");
    });
  }
});
