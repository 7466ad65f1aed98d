/**
 * What a first-time user meets: a key pasted from a .env file with literal
 * `\n`, and a signature mismatch to debug from the trace.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RolesAnywhereSession } from "../../../src/index.js";
import { createTestCertificateAuthority, type RolesAnywhereEmulator, startRolesAnywhereEmulator, type TestCertificate } from "../../../testing/index.js";
import { CapturingLogger } from "../../helpers/log-capture.js";

let ra: RolesAnywhereEmulator;
let device: TestCertificate;

before(async () => {
  const root = await createTestCertificateAuthority({ commonName: "First contact root" });
  device = await root.issue({ commonName: "first-contact" });
  ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/r"] }],
  });
});
after(async () => {
  await ra.close();
});

const arns = () => ({ trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: ra.roleArn, endpoint: ra.url });

test("PEM text with literal \\n sequences (how .env files and CI secrets hold keys) works in the library", async () => {
  const flatten = (pem: string) => pem.trim().replace(/\n/g, "\\n");
  const session = new RolesAnywhereSession({ certificate: flatten(device.certificatePem), privateKey: flatten(device.privateKeyPem!), ...arns() });
  try {
    assert.match((await session.getCredentials()).accessKeyId, /^ASIA/);
  } finally {
    await session.close();
  }
});

test("logLevel trace shows the canonical request and the string to sign, never the key", async () => {
  const logger = new CapturingLogger();
  const session = new RolesAnywhereSession({ certificate: device.certificatePem, privateKey: device.privateKeyPem!, ...arns(), logger, logLevel: "trace" });
  try {
    await session.getCredentials();
  } finally {
    await session.close();
  }
  const trace = logger.lines.join("\n");
  assert.match(trace, /canonical request:\nPOST\n\/sessions\n\n/);
  assert.match(trace, /string to sign:\nAWS4-X509-ECDSA-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/rolesanywhere\/aws4_request\n[0-9a-f]{64}/);
  for (const line of device.privateKeyPem!.split("\n").filter((l) => l.length > 20)) assert.ok(!trace.includes(line), "no key material");
  const quiet = new CapturingLogger();
  const debugOnly = new RolesAnywhereSession({
    certificate: device.certificatePem,
    privateKey: device.privateKeyPem!,
    ...arns(),
    logger: quiet,
    logLevel: "debug",
  });
  try {
    await debugOnly.getCredentials();
  } finally {
    await debugOnly.close();
  }
  assert.ok(!quiet.lines.some((line) => /canonical request/.test(line)), "only at trace");
});

test("a request signed for a region the endpoint does not serve gets a region hint, not one about role trust", async () => {
  const session = new RolesAnywhereSession({
    certificate: device.certificatePem,
    privateKey: device.privateKeyPem!,
    ...arns(),
    region: "eu-west-1",
    retry: { maxAttempts: 1 },
  });
  try {
    await assert.rejects(session.getCredentials(), (error: Error) => {
      assert.match(error.message, /scoped to a valid region/);
      assert.match(error.message, /signed for eu-west-1, a region the endpoint does not serve: set region \(--region\) to the endpoint's region/);
      assert.doesNotMatch(error.message, /trust policy/);
      return true;
    });
  } finally {
    await session.close();
  }
});
