/**
 * IAM Roles Anywhere with ML-DSA certificates, end to end against the
 * emulator (which verifies pure ML-DSA over the string to sign): leaves
 * of every variant under an EC CA and under ML-DSA CAs, with intermediates.
 * On a runtime without ML-DSA, the same session fails with the typed error
 * before any request is sent.
 */
import assert from "node:assert/strict";
import { createHash, type KeyObject, sign } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { RolesAnywhereSession, type RolesAnywhereSessionInit, ServiceError, type Signer, UnsupportedRuntimeError } from "../../../src/index.js";
import { runtimeSignsMlDsa } from "../../../src/identity/ml-dsa.js";
import {
  createMlDsaTestKey,
  createTestCertificateAuthority,
  type MlDsaKeyType,
  mlDsaPrivateKeyPem,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../../testing/index.js";

const ROLE = "arn:aws:iam::123456789012:role/pq-role";
const VARIANTS = ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const satisfies readonly MlDsaKeyType[];
const SIGNATURE_BYTES = { "ml-dsa-44": 2420, "ml-dsa-65": 3309, "ml-dsa-87": 4627 };
const ML_DSA = runtimeSignsMlDsa();

let ecRoot: TestCertificateAuthority;
let ecIssuing: TestCertificateAuthority;
let emulator: RolesAnywhereEmulator;
let pqRoot: TestCertificateAuthority | undefined;
let pqIssuing: TestCertificateAuthority | undefined;

before(async () => {
  ecRoot = await createTestCertificateAuthority({ commonName: "EC root", keyType: "ec-p384" });
  ecIssuing = await ecRoot.createIntermediate({ commonName: "EC issuing" });
  const roots = [ecRoot.certificatePem];
  if (ML_DSA) {
    pqRoot = await createTestCertificateAuthority({ commonName: "PQ root", keyType: "ml-dsa-87" });
    pqIssuing = await pqRoot.createIntermediate({ commonName: "PQ issuing", keyType: "ml-dsa-65" });
    roots.push(pqRoot.certificatePem);
  }
  emulator = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: roots }], profiles: [{ roleArns: [ROLE], durationSeconds: 900 }] });
});
after(() => emulator?.close());

function init(leaf: TestCertificate, chain: TestCertificateAuthority, extra: Partial<RolesAnywhereSessionInit> = {}): RolesAnywhereSessionInit {
  return {
    certificate: leaf.certificatePem,
    certificateChain: chain.certificatePem,
    privateKey: leaf.privateKeyPem!,
    trustAnchorArn: emulator.trustAnchorArn,
    profileArn: emulator.profileArn,
    roleArn: ROLE,
    endpoint: emulator.url,
    ...extra,
  } as RolesAnywhereSessionInit;
}

/** Fetches credentials and returns the Authorization header the emulator accepted. */
async function createSession(sessionInit: RolesAnywhereSessionInit): Promise<string> {
  const before = emulator.requests.length;
  const session = new RolesAnywhereSession(sessionInit);
  try {
    const credentials = await session.getCredentials();
    assert.ok(emulator.issued.has(credentials.accessKeyId), "the emulator issued these credentials");
  } finally {
    await session.close();
  }
  const [request] = emulator.requests.slice(before);
  assert.equal(request?.status, 201);
  return String(request.headers.authorization);
}

describe("on a runtime that signs ML-DSA", { skip: !ML_DSA && `needs Node.js 24.6 or later (this is ${process.version})` }, () => {
  for (const keyType of VARIANTS) {
    test(`${keyType} leaf under an EC root and intermediate: AWS4-X509-MLDSA, a ${SIGNATURE_BYTES[keyType]}-byte signature`, async () => {
      const leaf = await ecIssuing.issue({ keyType, commonName: `pq-${keyType}` });
      const authorization = await createSession(init(leaf, ecIssuing));
      assert.match(
        authorization,
        /^AWS4-X509-MLDSA Credential=\d+\/\d{8}\/us-east-1\/rolesanywhere\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]+$/,
      );
      assert.equal(/Signature=([0-9a-f]+)$/.exec(authorization)![1]!.length, 2 * SIGNATURE_BYTES[keyType]);
    });

    test(`${keyType} leaf under an ML-DSA-87 root and ML-DSA-65 intermediate`, async () => {
      const leaf = await pqIssuing!.issue({ keyType });
      assert.match(await createSession(init(leaf, pqIssuing!)), /^AWS4-X509-MLDSA /);
    });
  }

  test("the expanded-only and both PKCS#8 forms sign as the seed does", async () => {
    const leaf = await ecIssuing.issue({ keyType: "ml-dsa-65" });
    for (const form of ["expanded", "both"] as const) {
      assert.match(await createSession(init(leaf, ecIssuing, { privateKey: mlDsaPrivateKeyPem(leaf.privateKey!, form) })), /^AWS4-X509-MLDSA /);
    }
  });

  test("an EC leaf issued by the ML-DSA intermediate: ECDSA, the chain verified with ML-DSA", async () => {
    const leaf = await pqIssuing!.issue({ keyType: "ec-p256" });
    assert.match(await createSession(init(leaf, pqIssuing!)), /^AWS4-X509-ECDSA-SHA256 /);
  });

  test("the emulator verifies pure ML-DSA: a signature over the SHA-256 of the string to sign, or another algorithm name, is refused", async () => {
    const leaf = await ecIssuing.issue({ keyType: "ml-dsa-44" });
    const key = leaf.privateKey as KeyObject;
    const signers: Signer[] = [
      { algorithm: "AWS4-X509-MLDSA", sign: (data) => sign(null, createHash("sha256").update(data).digest(), key) },
      { algorithm: "AWS4-X509-ECDSA-SHA256", sign: (data) => sign(null, data, key) },
    ];
    for (const signer of signers) {
      const session = new RolesAnywhereSession({ ...init(leaf, ecIssuing), privateKey: undefined, signer } as RolesAnywhereSessionInit);
      await assert.rejects(session.getCredentials(), (e: unknown) => e instanceof ServiceError && e.status === 403);
      await session.close();
    }
  });
});

describe("on a runtime without ML-DSA", { skip: ML_DSA && "this runtime signs ML-DSA" }, () => {
  for (const keyType of VARIANTS) {
    test(`${keyType}: the typed error naming Node.js 24.6, and no request sent`, async () => {
      const key = createMlDsaTestKey(keyType);
      const leaf = await ecIssuing.issue({ spki: key.spki });
      const sent = emulator.requests.length;
      const session = new RolesAnywhereSession(init(leaf, ecIssuing, { privateKey: key.privateKeyPem("seed") }));
      await assert.rejects(
        session.getCredentials(),
        (e: unknown) =>
          e instanceof UnsupportedRuntimeError && /needs Node\.js 24\.6 or later \(this is Node\.js v/.test(e.message) && !e.message.includes("\n"),
      );
      await session.close();
      assert.equal(emulator.requests.length, sent);
    });
  }
});
