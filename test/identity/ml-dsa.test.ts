/**
 * ML-DSA keys and certificates in the identity layer: read from every input
 * form on a runtime that signs ML-DSA (Node.js ≥ 24.6), and a typed one-line
 * error naming the Node.js release needed everywhere else. Both halves run
 * on every Node: the keys of the second are computed by the test PKI
 * without Node's crypto knowing ML-DSA.
 */
import assert from "node:assert/strict";
import { createCipheriv, createPrivateKey, generateKeyPairSync, type KeyObject, pbkdf2Sync, randomBytes, verify } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InputFormatError, KeyMismatchError, PassphraseError, UnsupportedKeyError, UnsupportedRuntimeError } from "../../src/core/errors.js";
import type { IdentityInit } from "../../src/identity/identity-init.js";
import { mlDsaOfCertificate, mlDsaOfKey, mlDsaOfPkcs8, mlDsaOfSpki, runtimeSignsMlDsa } from "../../src/identity/ml-dsa.js";
import { openIdentity } from "../../src/identity/open-identity.js";
import { parsePrivateKey } from "../../src/identity/sources/file/private-key.js";
import {
  createMlDsaTestKey,
  createTestCertificateAuthority,
  type MlDsaKeyType,
  mlDsaPrivateKeyDer,
  type TestCertificateAuthority,
} from "../../testing/index.js";
import { integer, octetString, oid, sequence } from "../../testing/pki/der.js";

const now = new Date();
const VARIANTS = ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const satisfies readonly MlDsaKeyType[];
const FORMS = ["seed", "expanded", "both"] as const;
const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
const NODE_SIGNS = major > 24 || (major === 24 && minor >= 6);
let dir: string;
let ecRoot: TestCertificateAuthority;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-mldsa-"));
  ecRoot = await createTestCertificateAuthority({ commonName: "EC root" });
});
after(() => rm(dir, { recursive: true, force: true }));

async function load(init: IdentityInit, mutualTls = false) {
  const identity = openIdentity(init, { mutualTls });
  try {
    return await identity.load(now);
  } finally {
    await identity.close();
  }
}

/**
 * Encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC) made by hand, as
 * OpenSSL writes it: Node cannot encrypt a key it cannot load.
 */
function encryptPkcs8(der: Buffer, passphrase: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, 2048, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const encrypted = Buffer.concat([cipher.update(der), cipher.final()]);
  const hmacSha256 = sequence(oid("1.2.840.113549.2.9"), Buffer.from([0x05, 0x00]));
  const kdf = sequence(oid("1.2.840.113549.1.5.12"), sequence(octetString(salt), integer(2048), hmacSha256));
  const scheme = sequence(oid("2.16.840.1.101.3.4.1.42"), octetString(iv));
  const info = sequence(sequence(oid("1.2.840.113549.1.5.13"), sequence(kdf, scheme)), octetString(encrypted));
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${info.toString("base64")}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

test("the hand-made encrypted PKCS#8 is what OpenSSL reads (checked with an EC key)", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const opened = createPrivateKey({ key: encryptPkcs8(ec.export({ type: "pkcs8", format: "der" }), "pw"), passphrase: "pw" });
  assert.ok(opened.equals(ec));
});

function variantName(keyType: MlDsaKeyType): string {
  return keyType.toUpperCase();
}

test("the runtime probe agrees with the Node.js release: ML-DSA signs from 24.6 on", () => {
  assert.equal(runtimeSignsMlDsa(), NODE_SIGNS, `Node.js ${process.version}`);
});

test("the DER readers name the variant and the PKCS#8 form of every ML-DSA key, and nothing else", () => {
  for (const keyType of VARIANTS) {
    const key = createMlDsaTestKey(keyType);
    for (const form of FORMS) assert.deepEqual(mlDsaOfPkcs8(key.privateKeyDer(form)), { variant: variantName(keyType), form });
    assert.equal(mlDsaOfSpki(key.spki), variantName(keyType));
  }
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  assert.equal(mlDsaOfPkcs8(ec.privateKey.export({ type: "pkcs8", format: "der" })), undefined);
  assert.equal(mlDsaOfSpki(ec.publicKey.export({ type: "spki", format: "der" })), undefined);
  assert.equal(mlDsaOfKey(ec.privateKey), undefined);
  assert.deepEqual(mlDsaOfCertificate(ecRoot.certificateDer), { key: undefined, signature: undefined });
});

test("a certificate for an ML-DSA key issued by an EC CA: key ML-DSA, signature not", async () => {
  const key = createMlDsaTestKey("ml-dsa-65");
  const leaf = await ecRoot.issue({ spki: key.spki });
  assert.deepEqual(mlDsaOfCertificate(leaf.certificateDer), { key: "ML-DSA-65", signature: undefined });
});

test("mutual TLS (AWS IoT) refuses an ML-DSA certificate before reading the key, on any Node.js", async () => {
  const key = createMlDsaTestKey("ml-dsa-44");
  const leaf = await ecRoot.issue({ spki: key.spki, commonName: "pq-thing" });
  await assert.rejects(
    load({ certificate: leaf.certificatePem, privateKey: "not even a key" }, true),
    (error: unknown) =>
      error instanceof UnsupportedKeyError &&
      !(error instanceof UnsupportedRuntimeError) &&
      /"CN=pq-thing".* has an ML-DSA-44 key: AWS IoT accepts RSA and EC client certificates only.*IAM Roles Anywhere\.$/.test(error.message),
  );
});

describe("on a runtime that signs ML-DSA", { skip: !runtimeSignsMlDsa() && `needs Node.js 24.6 or later (this is ${process.version})` }, () => {
  for (const keyType of VARIANTS) {
    test(`${keyType}: seed, expanded and both forms, as PEM text, DER bytes and a file, sign pure ML-DSA`, async () => {
      const leaf = await ecRoot.issue({ keyType, commonName: `device-${keyType}` });
      const privateKey = leaf.privateKey!;
      for (const form of FORMS) {
        const der = mlDsaPrivateKeyDer(privateKey, form);
        const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
        const path = join(dir, `${keyType}-${form}.key`);
        await writeFile(path, pem);
        for (const [input, source] of [
          [pem, "PEM text"],
          [der, "DER bytes"],
          [path, "file"],
        ] as const) {
          const identity = await load({ certificate: leaf.certificatePem, privateKey: input });
          assert.equal(identity.signer.algorithm, "AWS4-X509-MLDSA", `${form} ${source}`);
          const data = Buffer.from(`AWS4-X509-MLDSA\n20260101T000000Z\n${form}`);
          const signature = await identity.signer.sign(data);
          assert.ok(verify(null, data, leaf.certificate.publicKey, signature), `${form} ${source}: pure ML-DSA over the bytes`);
        }
      }
    });
  }

  test("certificate and key in one PEM, and the doctor's description names the variant", async () => {
    const leaf = await ecRoot.issue({ keyType: "ml-dsa-65" });
    const identity = openIdentity({ certificate: leaf.certificatePem + leaf.privateKeyPem! });
    const checks = await identity.checks(now);
    await identity.close();
    assert.deepEqual(
      checks.map((c) => c.status),
      checks.map(() => "pass"),
    );
    assert.match(checks.find((c) => c.title === "key type supported")!.detail, /^ML-DSA-65$/);
  });

  test("key ↔ certificate mismatch: another ML-DSA key, an EC key for an ML-DSA certificate, an ML-DSA key for an EC one", async () => {
    const mlDsa = await ecRoot.issue({ keyType: "ml-dsa-65" });
    const other = await ecRoot.issue({ keyType: "ml-dsa-65" });
    const ec = await ecRoot.issue({ keyType: "ec-p256" });
    for (const [certificate, privateKey] of [
      [mlDsa, other],
      [mlDsa, ec],
      [ec, mlDsa],
    ] as const) {
      await assert.rejects(load({ certificate: certificate.certificatePem, privateKey: privateKey.privateKeyPem! }), KeyMismatchError);
    }
  });

  test("a both-form key whose seed and expanded key differ, and a truncated expanded key, are typed errors that say which", async () => {
    const a = createMlDsaTestKey("ml-dsa-44");
    const b = createMlDsaTestKey("ml-dsa-44");
    const both = a.privateKeyDer("both");
    const seedAt = both.indexOf(a.seed);
    const mixed = Buffer.concat([both.subarray(0, seedAt), b.seed, both.subarray(seedAt + 32)]);
    assert.throws(
      () => parsePrivateKey({ bytes: mixed, label: "mixed.key" }, undefined),
      (e: unknown) => e instanceof InputFormatError && /ML-DSA-44 key that cannot be read: its seed and expanded key do not belong together/.test(e.message),
    );
    const expanded = a.privateKeyDer("expanded");
    const short = Buffer.from(expanded.subarray(0, expanded.length - 1));
    assert.throws(() => parsePrivateKey({ bytes: short, label: "short.key" }, undefined), InputFormatError);
  });

  test("encrypted PKCS#8 ML-DSA: the passphrase opens it, a wrong one is a PassphraseError", async () => {
    const leaf = await ecRoot.issue({ keyType: "ml-dsa-87" });
    const encrypted = leaf.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pq" }) as string;
    const identity = await load({ certificate: leaf.certificatePem, privateKey: encrypted, passphrase: "pq" });
    assert.equal(identity.signer.algorithm, "AWS4-X509-MLDSA");
    await assert.rejects(load({ certificate: leaf.certificatePem, privateKey: encrypted, passphrase: "wrong" }), PassphraseError);
  });

  test("ML-DSA CAs: a chain of ML-DSA-87 root, ML-DSA-65 intermediate and an EC or ML-DSA leaf orders and loads", async () => {
    const root = await createTestCertificateAuthority({ keyType: "ml-dsa-87", commonName: "PQ root" });
    const issuing = await root.createIntermediate({ keyType: "ml-dsa-65", commonName: "PQ issuing" });
    for (const keyType of ["ec-p256", "ml-dsa-44"] as const) {
      const leaf = await issuing.issue({ keyType });
      assert.equal(mlDsaOfCertificate(leaf.certificateDer).signature, "ML-DSA-65");
      const identity = await load({ certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem!, certificateChain: issuing.certificatePem });
      assert.equal(identity.chain.length, 1);
    }
  });

  test("mutual TLS (AWS IoT) also refuses an EC certificate signed with ML-DSA", async () => {
    const root = await createTestCertificateAuthority({ keyType: "ml-dsa-44" });
    const leaf = await root.issue({ keyType: "ec-p256" });
    await assert.rejects(
      load({ certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem! }, true),
      (e: unknown) => e instanceof UnsupportedKeyError && /is signed with ML-DSA-44: AWS IoT accepts/.test(e.message),
    );
  });
});

describe("on a runtime without ML-DSA", { skip: runtimeSignsMlDsa() && "this runtime signs ML-DSA" }, () => {
  /** The typed, one-line error naming the release needed, never OpenSSL's words. */
  function needsNode(variant: string) {
    return (error: unknown) => {
      assert.ok(error instanceof UnsupportedRuntimeError, `${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
      assert.equal(error.code, "ERR_CERTCREDS_UNSUPPORTED_RUNTIME");
      assert.equal(error.requires, "Node.js 24.6");
      assert.match(
        error.message,
        new RegExp(`${variant}, which needs Node\\.js 24\\.6 or later \\(this is Node\\.js ${process.version.replace(/\./g, "\\.")}\\)`),
      );
      assert.doesNotMatch(error.message, /corrupted|base64|OpenSSL|error:|\n/);
      return true;
    };
  }

  for (const keyType of VARIANTS) {
    test(`${keyType}: certificate and key (every form, PEM and DER) get the typed error`, async () => {
      const key = createMlDsaTestKey(keyType);
      const leaf = await ecRoot.issue({ spki: key.spki });
      const variant = variantName(keyType);
      for (const form of FORMS) {
        await assert.rejects(load({ certificate: leaf.certificatePem, privateKey: key.privateKeyPem(form) }), needsNode(variant));
        assert.throws(() => parsePrivateKey({ bytes: Buffer.from(key.privateKeyPem(form)), label: "privateKey text" }, undefined), needsNode(variant));
        assert.throws(() => parsePrivateKey({ bytes: key.privateKeyDer(form), label: "privateKey bytes" }, undefined), needsNode(variant));
      }
    });
  }

  test("an ML-DSA certificate with an EC key, and an ML-DSA key with an EC certificate: each the typed error", async () => {
    const key = createMlDsaTestKey("ml-dsa-65");
    const mlDsaLeaf = await ecRoot.issue({ spki: key.spki });
    const ecLeaf = await ecRoot.issue({ keyType: "ec-p256" });
    await assert.rejects(load({ certificate: mlDsaLeaf.certificatePem, privateKey: ecLeaf.privateKeyPem! }), needsNode("ML-DSA-65"));
    await assert.rejects(load({ certificate: ecLeaf.certificatePem, privateKey: key.privateKeyPem("seed") }), needsNode("ML-DSA-65"));
  });

  test("an ML-DSA intermediate that cannot be verified here says so, not that the chain does not link", async () => {
    const key = createMlDsaTestKey("ml-dsa-87");
    const intermediate = await ecRoot.issue({ spki: key.spki, commonName: "PQ issuing" });
    const ecLeaf = await ecRoot.issue({ keyType: "ec-p256" });
    await assert.rejects(
      load({ certificate: ecLeaf.certificatePem, privateKey: ecLeaf.privateKeyPem!, certificateChain: intermediate.certificatePem }),
      needsNode("ML-DSA-87"),
    );
  });

  test("an encrypted ML-DSA key: the right passphrase gets the typed error, a wrong one a PassphraseError", async () => {
    const key = createMlDsaTestKey("ml-dsa-65");
    const encrypted = encryptPkcs8(key.privateKeyDer("both"), "pq");
    assert.throws(
      () => parsePrivateKey({ bytes: Buffer.from(encrypted), label: "privateKey text" }, "pq"),
      (e: unknown) => e instanceof UnsupportedRuntimeError && /needs Node\.js 24\.6 or later \(this is Node\.js v/.test(e.message) && !/\n/.test(e.message),
    );
    assert.throws(() => parsePrivateKey({ bytes: Buffer.from(encrypted), label: "privateKey text" }, "wrong"), PassphraseError);
    // With its certificate, the certificate's check comes first: no passphrase question arises.
    const leaf = await ecRoot.issue({ spki: key.spki });
    await assert.rejects(load({ certificate: leaf.certificatePem, privateKey: encrypted, passphrase: "wrong" }), needsNode("ML-DSA-65"));
  });

  test("a key this runtime loads without a type (Node 22 on OpenSSL 3.5) is named by its DER", async () => {
    const key = createMlDsaTestKey("ml-dsa-44");
    let loaded: KeyObject;
    try {
      loaded = (await import("node:crypto")).createPrivateKey({ key: key.privateKeyDer("seed"), format: "der", type: "pkcs8" });
    } catch {
      return; // OpenSSL 3.0 (Node 20) reads no ML-DSA key at all: the DER check before crypto covers it (tests above)
    }
    assert.equal(loaded.asymmetricKeyType, undefined);
    assert.equal(mlDsaOfKey(loaded), "ML-DSA-44");
  });
});
