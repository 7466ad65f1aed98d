import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificate,
} from "../../testing/index.js";
import { type Credentials, callerIdentity, createSession, credentialsOf } from "../helpers/emulator-requests.js";

const ROLE = "arn:aws:iam::123456789012:role/Device";

describe("STS emulator", () => {
  let leaf: TestCertificate;
  let ra: RolesAnywhereEmulator;
  let sts: StsEmulator;
  let creds: Credentials;

  before(async () => {
    const root = await createTestCertificateAuthority();
    leaf = await root.issue({ commonName: "device-1", extendedKeyUsage: ["clientAuth"] });
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [root.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
    sts = await startStsEmulator({ issued: ra.issued });
    creds = credentialsOf(await createSession(ra, { leaf }));
  });

  after(async () => {
    await Promise.all([ra?.close(), sts?.close()]);
  });

  const client = (credentials: Credentials) => new STSClient({ region: "us-east-1", endpoint: sts.url, credentials, maxAttempts: 1 });

  async function rejectsWith(credentials: Credentials, code: string): Promise<void> {
    const c = client(credentials);
    try {
      await assert.rejects(c.send(new GetCallerIdentityCommand({})), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, code);
        assert.equal(error.$metadata?.httpStatusCode, 403);
        return true;
      });
    } finally {
      c.destroy();
    }
    assert.equal(sts.requests.at(-1)?.errorType, code);
  }

  test("wrong secret (signature does not match) → SignatureDoesNotMatch", async () => {
    // Another last character than the secret's own (a secret ending in "x" would otherwise stay right).
    const other = creds.secretAccessKey.endsWith("x") ? "y" : "x";
    await rejectsWith({ ...creds, secretAccessKey: `${creds.secretAccessKey.slice(0, -1)}${other}` }, "SignatureDoesNotMatch");
  });

  test("unknown access key or wrong session token → InvalidClientTokenId", async () => {
    await rejectsWith({ ...creds, accessKeyId: "ASIAAAAAAAAAAAAAAAAA" }, "InvalidClientTokenId");
    await rejectsWith({ ...creds, sessionToken: `${creds.sessionToken}x` }, "InvalidClientTokenId");
  });

  test("expired credentials → ExpiredToken", async () => {
    const expired = ra.issued.issue({
      accountId: "123456789012",
      roleArn: ROLE,
      roleSessionName: "old",
      expiration: new Date(Date.now() - 1000),
    });
    await rejectsWith(expired, "ExpiredToken");
  });

  test("raw requests: tampered signature gets the STS XML error; the JSON protocol works too", async () => {
    const tampered = await callerIdentity(sts, creds, { tamper: true });
    assert.equal(tampered.status, 403);
    assert.match(tampered.headers["content-type"] ?? "", /^text\/xml/);
    assert.match(
      tampered.body,
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>SignatureDoesNotMatch<\/Code>\s*<Message>[^<]+<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>\s*$/,
    );
    const query = await callerIdentity(sts, creds);
    assert.equal(query.status, 200, query.body);
    assert.match(query.body, /<Account>123456789012<\/Account>/);

    const json = await callerIdentity(sts, creds, { protocol: "json" });
    assert.equal(json.status, 200, json.body);
    const identity = JSON.parse(json.body);
    assert.equal(identity.Account, "123456789012");
    assert.match(identity.Arn, /^arn:aws:sts::123456789012:assumed-role\/Device\//);
    const jsonError = await callerIdentity(sts, creds, { protocol: "json", tamper: true });
    assert.equal(jsonError.status, 403);
    assert.equal(jsonError.headers["x-amzn-query-error"], "SignatureDoesNotMatch;Sender");
    assert.equal(JSON.parse(jsonError.body).__type, "SignatureDoesNotMatch");
  });
});
