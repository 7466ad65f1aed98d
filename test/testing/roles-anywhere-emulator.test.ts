import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  createTestCertificateAuthority,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../testing/index.js";
import { assertError, createSession, credentialsOf, type SessionRequest, send } from "../helpers/emulator-requests.js";

const flipLastHex = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
const ROLE = "arn:aws:iam::123456789012:role/Device";
const OTHER_ROLE = "arn:aws:iam::123456789012:role/Other";
const arn = (kind: "trust-anchor" | "profile") => `arn:aws:rolesanywhere:us-east-1:123456789012:${kind}/${randomUUID()}`;

describe("Roles Anywhere emulator + STS emulator", () => {
  let root: TestCertificateAuthority;
  let issuing: TestCertificateAuthority;
  let second: TestCertificateAuthority;
  let disabledCa: TestCertificateAuthority;
  let leaf: TestCertificate;
  let rsaLeaf: TestCertificate;
  let subLeaf: TestCertificate;
  let secondLeaf: TestCertificate;
  let strangerLeaf: TestCertificate;
  let expiredLeaf: TestCertificate;
  let ed25519Leaf: TestCertificate;
  let rsa1024Leaf: TestCertificate;
  let disabledLeaf: TestCertificate;
  let ra: RolesAnywhereEmulator;
  let sts: StsEmulator;
  const secondAnchor = arn("trust-anchor");
  const disabledAnchor = arn("trust-anchor");
  const sessionProfile = arn("profile");
  const disabledProfile = arn("profile");

  before(async () => {
    const stranger = await createTestCertificateAuthority({ commonName: "not trusted" });
    [root, second, disabledCa] = await Promise.all([
      createTestCertificateAuthority(),
      createTestCertificateAuthority({ commonName: "second CA", keyType: "ec-p384" }),
      createTestCertificateAuthority({ commonName: "disabled CA" }),
    ]);
    issuing = await root.createIntermediate({ commonName: "issuing CA", keyType: "rsa-2048" });
    const day = 86_400_000;
    [leaf, rsaLeaf, subLeaf, secondLeaf, strangerLeaf, expiredLeaf, ed25519Leaf, rsa1024Leaf, disabledLeaf] = await Promise.all([
      root.issue({ commonName: "device-1", extendedKeyUsage: ["clientAuth"] }),
      root.issue({ commonName: "rsa-device", keyType: "rsa-2048" }),
      issuing.issue({ commonName: "sub-device", keyType: "ec-p384" }),
      second.issue({ commonName: "second-device" }),
      stranger.issue({ commonName: "stranger" }),
      root.issue({ commonName: "expired-device", notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() - day) }),
      root.issue({ commonName: "ed-device", keyType: "ed25519" }),
      root.issue({ commonName: "weak-device", keyType: "rsa-1024" }),
      disabledCa.issue({ commonName: "disabled-device" }),
    ]);
    ra = await startRolesAnywhereEmulator({
      trustAnchors: [
        { certificates: [root.certificatePem] },
        { arn: secondAnchor, certificates: [second.certificate] },
        { arn: disabledAnchor, certificates: [disabledCa.certificatePem], enabled: false },
      ],
      profiles: [
        { roleArns: [ROLE] },
        { arn: sessionProfile, roleArns: [ROLE, OTHER_ROLE], durationSeconds: 43_200, acceptRoleSessionName: true },
        { arn: disabledProfile, roleArns: [ROLE], enabled: false },
      ],
    });
    sts = await startStsEmulator({ issued: ra.issued });
  });

  after(async () => {
    await Promise.all([ra?.close(), sts?.close()]);
  });

  test("a correctly signed request gets 201 and its credentials pass a real STSClient", async () => {
    const before201 = ra.createSessionCount;
    const result = await createSession(ra, { leaf });
    assert.equal(result.status, 201, result.body);
    assert.equal(result.headers["content-type"], "application/json");
    const json = JSON.parse(result.body);
    assert.deepEqual(Object.keys(json).sort(), ["credentialSet", "subjectArn"]);
    assert.equal(json.credentialSet.length, 1);
    const set = json.credentialSet[0];
    assert.deepEqual(Object.keys(set).sort(), ["assumedRoleUser", "credentials", "packedPolicySize", "roleArn", "sourceIdentity"]);
    const session = leaf.serialNumber.toString(16);
    assert.equal(set.assumedRoleUser.arn, `arn:aws:sts::123456789012:assumed-role/Device/${session}`);
    assert.match(set.assumedRoleUser.assumedRoleId, new RegExp(`^AROA[A-Z2-7]{17}:${session}$`));
    assert.equal(set.roleArn, ROLE);
    assert.equal(set.sourceIdentity, "CN=device-1");
    assert.equal(set.packedPolicySize, 0);
    assert.match(json.subjectArn, /^arn:aws:rolesanywhere:us-east-1:123456789012:subject\/[0-9a-f-]{36}$/);
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = set.credentials;
    assert.deepEqual(Object.keys(set.credentials).sort(), ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"]);
    assert.match(accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(secretAccessKey.length, 40);
    assert.ok(sessionToken.length > 300);
    assert.match(expiration, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Math.abs(Date.parse(expiration) - Date.now() - 3600_000) < 5_000);
    assert.equal(ra.createSessionCount, before201 + 1);
    assert.equal(ra.issued.get(accessKeyId)?.sessionToken, sessionToken);
    const record = ra.requests.at(-1);
    assert.equal(record?.status, 201);
    assert.ok(!JSON.stringify(ra.requests).includes(secretAccessKey), "no secret stored in request records");

    const client = new STSClient({
      region: "us-east-1",
      endpoint: sts.url,
      credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) },
      maxAttempts: 1,
    });
    try {
      const identity = await client.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, set.assumedRoleUser.arn);
      assert.equal(identity.Account, "123456789012");
      assert.equal(identity.UserId, set.assumedRoleUser.assumedRoleId);
    } finally {
      client.destroy();
    }
    assert.equal(sts.requests.at(-1)?.status, 200);
  });

  test("RSA leaf signs with AWS4-X509-RSA-SHA256 (PKCS#1 v1.5)", async () => {
    const result = await createSession(ra, { leaf: rsaLeaf });
    assert.equal(result.status, 201, result.body);
  });

  test("leaf issued by an intermediate: 201 with X-Amz-X509-Chain, 403 without", async () => {
    assert.equal((await createSession(ra, { leaf: subLeaf, chain: [issuing] })).status, 201);
    // Sending the root too is harmless.
    assert.equal((await createSession(ra, { leaf: subLeaf, chain: [issuing, root] })).status, 201);
    assertError(await createSession(ra, { leaf: subLeaf }), 403, "AccessDeniedException", /^Untrusted signing certificate/);
  });

  test("ARNs as query parameters work, and the body wins over the query", async () => {
    const query = { profileArn: ra.profileArn, roleArn: ra.roleArn, trustAnchorArn: ra.trustAnchorArn };
    assert.equal((await createSession(ra, { leaf, query, body: { durationSeconds: 900 } })).status, 201);
    const bogus = { profileArn: arn("profile"), roleArn: OTHER_ROLE, trustAnchorArn: "nonsense" };
    assert.equal((await createSession(ra, { leaf, query: bogus })).status, 201);
  });

  const rejections: { name: string; request: () => SessionRequest; status: number; errorType: string; message: RegExp }[] = [
    { name: "bad signature", request: () => ({ leaf, tamper: flipLastHex }), status: 403, errorType: "AccessDeniedException", message: /^Invalid signature/ },
    {
      name: "serial in hex instead of decimal",
      request: () => ({ leaf, credentialId: leaf.serialNumber.toString(16) }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /serial number in decimal/,
    },
    { name: "wrong region in the scope", request: () => ({ leaf, region: "us-west-2" }), status: 403, errorType: "AccessDeniedException", message: /region/ },
    {
      name: "untrusted chain",
      request: () => ({ leaf: strangerLeaf }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /^Untrusted signing certificate/,
    },
    {
      name: "expired leaf",
      request: () => ({ leaf: expiredLeaf }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /^Certificate expired: 'CN=expired-device'/,
    },
    {
      name: "algorithm does not match the key",
      request: () => ({ leaf, algorithm: "AWS4-X509-RSA-SHA256" }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /does not match/,
    },
    {
      name: "ECDSA signature as raw r||s instead of DER",
      request: () => ({ leaf, ecdsaEncoding: "ieee-p1363" }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /^Invalid signature/,
    },
    {
      name: "Ed25519 leaf",
      request: () => ({ leaf: ed25519Leaf, algorithm: "AWS4-X509-ECDSA-SHA256" }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /Unsupported signing key type 'ed25519'/,
    },
    { name: "RSA-1024 leaf", request: () => ({ leaf: rsa1024Leaf }), status: 403, errorType: "AccessDeniedException", message: /at least 2048/ },
    {
      name: "content-type sent but not signed",
      request: () => ({ leaf, unsignedContentType: true }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /SignedHeaders must include content-type/,
    },
    {
      name: "HMAC algorithm",
      request: () => ({ leaf, algorithm: "AWS4-HMAC-SHA256" }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /Unsupported authorization algorithm/,
    },
    {
      name: "a CA certificate as the signing certificate",
      request: () => ({ leaf: issuing }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /^Untrusted signing certificate: the end-entity certificate is a CA/,
    },
    {
      name: "malformed profile ARN",
      request: () => ({
        leaf,
        body: { profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/nope", roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn },
      }),
      status: 400,
      errorType: "ValidationException",
      message: /'profileArn'/,
    },
    {
      name: "missing roleArn",
      request: () => ({ leaf, body: { profileArn: ra.profileArn, trustAnchorArn: ra.trustAnchorArn } }),
      status: 400,
      errorType: "ValidationException",
      message: /Value null at 'roleArn'/,
    },
    {
      name: "body is not JSON",
      request: () => ({ leaf, body: "{oops" }),
      status: 400,
      errorType: "ValidationException",
      message: /not valid JSON/,
    },
    ...[899, 43_201, 3600.5, "3600"].map((durationSeconds) => ({
      name: `durationSeconds ${JSON.stringify(durationSeconds)}`,
      request: (): SessionRequest => ({ leaf, body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn, durationSeconds } }),
      status: 400,
      errorType: "ValidationException",
      message: /durationSeconds/,
    })),
    {
      name: "role not in profile",
      request: () => ({ leaf, body: { profileArn: ra.profileArn, roleArn: OTHER_ROLE, trustAnchorArn: ra.trustAnchorArn } }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /is not associated with profile/,
    },
    {
      name: "unknown profile",
      request: () => ({ leaf, body: { profileArn: arn("profile"), roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn } }),
      status: 404,
      errorType: "ResourceNotFoundException",
      message: /Profile .* not found/,
    },
    {
      name: "unknown trust anchor",
      request: () => ({ leaf, body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: arn("trust-anchor") } }),
      status: 404,
      errorType: "ResourceNotFoundException",
      message: /Trust anchor .* not found/,
    },
    {
      name: "trust anchor that does not anchor the chain",
      request: () => ({ leaf, body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: secondAnchor } }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /^Untrusted signing certificate: the certificate does not chain to trust anchor/,
    },
    {
      name: "disabled trust anchor",
      request: () => ({ leaf: disabledLeaf, body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: disabledAnchor } }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /is disabled/,
    },
    {
      name: "disabled profile",
      request: () => ({ leaf, body: { profileArn: disabledProfile, roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn } }),
      status: 403,
      errorType: "AccessDeniedException",
      message: /is disabled/,
    },
    {
      name: "roleSessionName on a profile that does not accept it",
      request: () => ({ leaf, body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn, roleSessionName: "me" } }),
      status: 400,
      errorType: "ValidationException",
      message: /roleSessionName/,
    },
  ];
  for (const rejection of rejections) {
    test(`rejects: ${rejection.name} → ${rejection.status} ${rejection.errorType}`, async () => {
      const before = ra.createSessionCount;
      const result = await createSession(ra, rejection.request());
      assertError(result, rejection.status, rejection.errorType, rejection.message);
      assert.equal(ra.createSessionCount, before);
      assert.equal(ra.requests.at(-1)?.errorType, rejection.errorType);
    });
  }

  test("the second trust anchor works for its own certificates", async () => {
    const body = { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: secondAnchor };
    assert.equal((await createSession(ra, { leaf: secondLeaf, body })).status, 201);
  });

  test("duration is capped by the profile; roleSessionName where accepted", async () => {
    const capped = await createSession(ra, {
      leaf,
      body: { profileArn: ra.profileArn, roleArn: ROLE, trustAnchorArn: ra.trustAnchorArn, durationSeconds: 43_200 },
    });
    assert.ok(Math.abs(credentialsOf(capped).expiration!.getTime() - Date.now() - 3600_000) < 5_000);
    const long = await createSession(ra, {
      leaf,
      body: { profileArn: sessionProfile, roleArn: OTHER_ROLE, trustAnchorArn: ra.trustAnchorArn, durationSeconds: 43_200, roleSessionName: "my-session" },
    });
    assert.equal(long.status, 201, long.body);
    assert.ok(Math.abs(credentialsOf(long).expiration!.getTime() - Date.now() - 43_200_000) < 5_000);
    assert.equal(JSON.parse(long.body).credentialSet[0].assumedRoleUser.arn, "arn:aws:sts::123456789012:assumed-role/Other/my-session");
  });

  test("stale or future X-Amz-Date → 403 with the emulator clock in Date, so a client can correct its skew", async () => {
    const ahead = 3600_000; // the service's clock is an hour ahead of ours
    const skewed = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [root.certificatePem] }],
      profiles: [{ roleArns: [ROLE] }],
      now: () => Date.now() + ahead,
    });
    try {
      const stale = await createSession(skewed, { leaf });
      assertError(stale, 403, "AccessDeniedException", /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/);
      const serverClock = Date.parse(stale.headers.date ?? "");
      const offset = serverClock - Date.now();
      assert.ok(Math.abs(offset - ahead) < 5_000, `offset ${offset}`);
      assert.equal((await createSession(skewed, { leaf, at: Date.now() + offset })).status, 201);
      assertError(await createSession(skewed, { leaf, at: Date.now() + offset + 6 * 60_000 }), 403, "AccessDeniedException", /^Signature not yet current: /);
    } finally {
      await skewed.close();
    }
  });

  test("unknown routes → 404, oversized bodies → 413", async () => {
    const get = await send(ra.url, { method: "GET", target: "/sessions", headers: {}, body: "" });
    assert.equal(get.status, 404);
    assert.ok(JSON.parse(get.body).message);
    const other = await send(ra.url, { method: "POST", target: "/other", headers: {}, body: "{}" });
    assert.equal(other.status, 404);
    const big = await createSession(ra, { leaf, body: JSON.stringify({ pad: "x".repeat(70 * 1024) }) });
    assert.equal(big.status, 413);
  });

  test("faults: throttling with Retry-After (times: 2), malformed body, delay", async () => {
    ra.inject({ status: 429, errorType: "ThrottlingException", message: "Rate exceeded", retryAfterSeconds: 2, times: 2 });
    for (let i = 0; i < 2; i++) {
      const throttled = await createSession(ra, { leaf });
      assertError(throttled, 429, "ThrottlingException", /^Rate exceeded$/);
      assert.equal(throttled.headers["retry-after"], "2");
    }
    assert.equal((await createSession(ra, { leaf })).status, 201);

    ra.inject({ malformedBody: true });
    const malformed = await createSession(ra, { leaf });
    assert.equal(malformed.status, 201);
    assert.throws(() => JSON.parse(malformed.body), SyntaxError);

    ra.inject({ delayMs: 150 });
    const started = Date.now();
    assert.equal((await createSession(ra, { leaf })).status, 201);
    assert.ok(Date.now() - started >= 140);

    ra.inject({ status: 503, times: 5 });
    ra.clearFaults();
    assert.equal((await createSession(ra, { leaf })).status, 201);
  });

  test("faults: connection reset", async () => {
    ra.inject({ resetConnection: true });
    await assert.rejects(createSession(ra, { leaf }), { code: "ECONNRESET" });
    assert.equal(ra.requests.at(-1)?.status, 0);
  });

  test("faults: hang until the client times out; close() ends hanging connections", async () => {
    const hanging = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [root.certificatePem] }],
      profiles: [{ roleArns: [ROLE] }],
    });
    hanging.inject({ hang: true, times: 2 });
    await assert.rejects(createSession(hanging, { leaf, timeoutMs: 200 }), { code: "ETIMEDOUT" });
    // A second hung request left open: close() must not wait for it.
    const pending = createSession(hanging, { leaf }).then(
      () => "answered",
      (error: NodeJS.ErrnoException) => error.code,
    );
    while (hanging.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await hanging.close();
    assert.ok(Date.now() - started < 1000);
    assert.equal(await pending, "ECONNRESET");
  });

  test("HTTPS mode with a test-PKI server certificate; lifetimeSeconds override", async () => {
    const serverCert = await root.issue({ ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"], extendedKeyUsage: ["serverAuth"] });
    const secure = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [root.certificatePem] }],
      profiles: [{ roleArns: [ROLE] }],
      tls: { cert: serverCert.certificatePem, key: serverCert.privateKeyPem! },
      lifetimeSeconds: 5,
      issued: new IssuedCredentialStore(),
    });
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const result = await createSession(secure, { leaf, ca: root.certificatePem });
      assert.equal(result.status, 201, result.body);
      const lifetime = credentialsOf(result).expiration!.getTime() - Date.now();
      assert.ok(lifetime > 3_000 && lifetime <= 5_000, `lifetime ${lifetime}`);
      assert.equal(secure.issued.size, 1);
    } finally {
      await secure.close();
    }
  });
});
