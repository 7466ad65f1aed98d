// Your own tests against the emulators of certcreds/testing: no AWS account, no files, nothing beyond 127.0.0.1.
// Run: npx tsx --test examples/emulators.test.ts   (or node --test with a TypeScript loader)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromRolesAnywhere, ServiceError } from "certcreds";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "certcreds/testing";

const ROLE = "arn:aws:iam::123456789012:role/Device";
let ca: TestCertificateAuthority;
let device: TestCertificate;
let ra: RolesAnywhereEmulator;
let sts: StsEmulator;

before(async () => {
  ca = await createTestCertificateAuthority({ commonName: "example root CA" });
  device = await ca.issue({ commonName: "device-1", keyType: "rsa-2048" });
  ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
  sts = await startStsEmulator({ issued: ra.issued });
});
after(() => Promise.all([ra.close(), sts.close()]));

const init = () => ({
  certificate: device.certificatePem,
  privateKey: device.privateKeyPem!,
  trustAnchorArn: ra.trustAnchorArn,
  profileArn: ra.profileArn,
  roleArn: ROLE,
  endpoint: ra.url,
});

test("the credentials work with a real SDK client", async () => {
  const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials: fromRolesAnywhere(init()) });
  const arn = (await client.send(new GetCallerIdentityCommand({}))).Arn;
  client.destroy();
  assert.match(arn ?? "", /^arn:aws:sts::123456789012:assumed-role\/Device\//);
  console.log(`emulated STS says: ${arn}`);
});

test("a role the profile does not list is refused with the service's own answer", async () => {
  const credentials = fromRolesAnywhere({ ...init(), roleArn: "arn:aws:iam::123456789012:role/Other" });
  await assert.rejects(credentials(), (error) => error instanceof ServiceError && error.status === 403);
});
