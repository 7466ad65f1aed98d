import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CredentialsProviderError,
  fromRolesAnywhere,
  NetworkError,
  ResponseFormatError,
  RolesAnywhereSession,
  type RolesAnywhereSessionInit,
  ServiceError,
} from "../../../src/index.js";
import { startTestConnectProxy } from "../../../testing/emulators/connect-proxy.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
  type TestKeyType,
} from "../../../testing/index.js";
import { SkippingClock } from "../../helpers/fake-clock.js";
import { assertNoSecrets, CapturingLogger, pemBodyLines } from "../../helpers/log-capture.js";

let dir: string;
let root: TestCertificateAuthority;
let issuing: TestCertificateAuthority;
let device: TestCertificate;
let http: RolesAnywhereEmulator;
let https: RolesAnywhereEmulator;
const ROLE = "arn:aws:iam::123456789012:role/device-role";
const OTHER_ROLE = "arn:aws:iam::123456789012:role/not-in-profile";
const SECOND_PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/22222222-2222-2222-2222-222222222222";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-ra-"));
  root = await createTestCertificateAuthority({ commonName: "Test Root CA" });
  issuing = await root.createIntermediate({ commonName: "Test Issuing CA" });
  device = await issuing.issue({ commonName: "device-1" });
  const server = await root.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const config = {
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [
      { roleArns: [ROLE], durationSeconds: 3600 },
      { arn: SECOND_PROFILE, roleArns: [ROLE], durationSeconds: 7200, acceptRoleSessionName: true },
    ],
  };
  http = await startRolesAnywhereEmulator(config);
  https = await startRolesAnywhereEmulator({ ...config, tls: { cert: server.certificatePem, key: server.privateKeyPem! } });
});
after(async () => {
  await Promise.all([http?.close(), https?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function init(emulator: RolesAnywhereEmulator, extra: Partial<RolesAnywhereSessionInit> = {}): RolesAnywhereSessionInit {
  return {
    certificate: device.certificatePem,
    certificateChain: issuing.certificatePem,
    privateKey: device.privateKeyPem!,
    trustAnchorArn: emulator.trustAnchorArn,
    profileArn: emulator.profileArn,
    roleArn: ROLE,
    endpoint: emulator.url,
    ...(emulator === https ? { caBundle: root.certificatePem } : {}),
    ...extra,
  } as RolesAnywhereSessionInit;
}

describe("every key type, over HTTPS with a custom CA bundle", () => {
  for (const keyType of ["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "ec-p521"] as TestKeyType[]) {
    test(keyType, async () => {
      const cert = await issuing.issue({ commonName: `device-${keyType}`, keyType });
      const session = new RolesAnywhereSession(init(https, { certificate: cert.certificatePem, privateKey: cert.privateKeyPem! }));
      const credentials = await session.getCredentials();
      assert.ok(https.issued.has(credentials.accessKeyId), "the emulator issued these credentials");
      assert.equal(session.accessKeyId, credentials.accessKeyId);
      assert.equal(credentials.accountId, "123456789012");
      const lifetime = credentials.expiration.getTime() - Date.now();
      assert.ok(lifetime > 3590_000 && lifetime <= 3600_000, `lifetime ${lifetime}`);
      const last = https.requests.at(-1)!;
      assert.match(
        String(last.headers.authorization),
        new RegExp(`^AWS4-X509-${keyType.startsWith("rsa") ? "RSA" : "ECDSA"}-SHA256 Credential=${cert.serialNumber.toString(10)}/`),
      );
      await session.close();
    });
  }
});

test("inputs as files, PEM strings and bytes, mixed; encrypted key with passphrase", async () => {
  const certPath = join(dir, "device.pem");
  const chainPath = join(dir, "chain.pem");
  await writeFile(certPath, device.certificatePem);
  await writeFile(chainPath, issuing.certificatePem);
  const encrypted = device.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret-pass" });
  const variants: Partial<RolesAnywhereSessionInit>[] = [
    { certificate: certPath, certificateChain: chainPath },
    { certificate: device.certificateDer, certificateChain: [issuing.certificateDer], privateKey: device.privateKey!.export({ type: "pkcs8", format: "der" }) },
    { certificate: Buffer.from(device.certificatePem), privateKey: encrypted, passphrase: "s3cret-pass" },
  ];
  const before = http.createSessionCount;
  for (const variant of variants) {
    const credentials = await fromRolesAnywhere(init(http, variant))();
    assert.ok(http.issued.has(credentials.accessKeyId));
  }
  assert.equal(http.createSessionCount - before, variants.length);
});

test("the chain header is required when an intermediate issued the certificate", async () => {
  await assert.rejects(
    fromRolesAnywhere(init(http, { certificateChain: undefined }))(),
    (e: unknown) =>
      e instanceof ServiceError &&
      e.status === 403 &&
      e.errorType === "AccessDeniedException" &&
      /Untrusted signing certificate/.test(e.message) &&
      /certificateChain/.test(e.message) &&
      e instanceof CredentialsProviderError &&
      e.tryNextLink === false,
  );
});

test("one provider shared by many callers makes one CreateSession (1,000 concurrent calls)", async () => {
  const provider = fromRolesAnywhere(init(http));
  const before = http.createSessionCount;
  const results = await Promise.all(Array.from({ length: 1000 }, () => provider({ callerClientConfig: { region: async () => "us-east-1" } } as never)));
  assert.equal(http.createSessionCount - before, 1);
  assert.ok(results.every((r) => r.accessKeyId === results[0]!.accessKeyId));
});

test("service errors: typed, with the service's type and message and a likely cause; 4xx not retried", async () => {
  const cases: [Partial<RolesAnywhereSessionInit>, number, string, RegExp][] = [
    [{ roleArn: OTHER_ROLE }, 403, "AccessDeniedException", /trust policy/],
    [
      { profileArn: http.profileArn.replace(/profile\/.*/, "profile/00000000-0000-0000-0000-000000000000") },
      404,
      "ResourceNotFoundException",
      /does not exist/,
    ],
    [{ roleSessionName: "custom-name" }, 400, "ValidationException", /roleSessionName/],
  ];
  for (const [extra, status, type, cause] of cases) {
    const count = http.requests.length;
    await assert.rejects(
      fromRolesAnywhere(init(http, extra))(),
      (e: unknown) => e instanceof ServiceError && e.status === status && e.errorType === type && cause.test(e.message) && e.serviceMessage.length > 0,
    );
    assert.equal(http.requests.length - count, 1, `${type} is not retried`);
  }
});

test("durationSeconds is capped by the profile; roleSessionName where the profile accepts it", async () => {
  const capped = await new RolesAnywhereSession(init(http, { durationSeconds: 43200 })).getCredentials();
  assert.ok(capped.expiration.getTime() - Date.now() <= 3600_000, "the first profile allows 1 h");
  const named = await new RolesAnywhereSession(init(http, { profileArn: SECOND_PROFILE, durationSeconds: 5400, roleSessionName: "build-42" })).getCredentials();
  const lifetime = named.expiration.getTime() - Date.now();
  assert.ok(lifetime > 5390_000 && lifetime <= 5400_000, `lifetime ${lifetime}`);
  assert.match(http.issued.get(named.accessKeyId)!.assumedRoleArn, /\/build-42$/);
  assert.deepEqual(JSON.parse(http.requests.at(-1)!.body), {
    durationSeconds: 5400,
    profileArn: SECOND_PROFILE,
    roleArn: ROLE,
    trustAnchorArn: http.trustAnchorArn,
    roleSessionName: "build-42",
  });
});

test("retries 5xx and throttling with exponential backoff and full jitter, honouring Retry-After", async () => {
  const clock = new SkippingClock(Date.now(), 0.999);
  http.inject({ status: 503, errorType: "ServiceUnavailableException", message: "try later", times: 2 });
  const count = http.requests.length;
  const session = new RolesAnywhereSession(init(http, { clock, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 } }));
  await session.getCredentials();
  assert.equal(http.requests.length - count, 3);
  assert.deepEqual(clock.sleeps, [99, 199]);

  http.inject({ status: 429, errorType: "ThrottlingException", message: "Rate exceeded", retryAfterSeconds: 3 });
  const throttled = new RolesAnywhereSession(init(http, { clock, retry: { baseDelayMs: 100 } }));
  clock.sleeps.length = 0;
  await throttled.getCredentials();
  assert.deepEqual(clock.sleeps, [3000]);

  http.inject({ status: 500, errorType: "InternalServerException", message: "boom", times: 5 });
  const failing = new RolesAnywhereSession(init(http, { clock, retry: { maxAttempts: 3 } }));
  await assert.rejects(failing.getCredentials(), (e: unknown) => e instanceof ServiceError && e.status === 500 && /retried/.test(e.message));
  http.clearFaults();
});

test("network faults: reset is retried; a hang hits timeoutMs; malformed bodies are ResponseFormatError", async () => {
  const clock = new SkippingClock();
  http.inject({ resetConnection: true });
  assert.ok(await new RolesAnywhereSession(init(http, { clock })).getCredentials());

  http.inject({ hang: true, times: 2 });
  await assert.rejects(
    new RolesAnywhereSession(init(http, { clock, timeoutMs: 300, retry: { maxAttempts: 2 } })).getCredentials(),
    (e: unknown) => e instanceof NetworkError && e.kind === "timeout" && /300 ms/.test(e.message),
  );
  http.clearFaults();

  http.inject({ malformedBody: true, times: 3 });
  await assert.rejects(new RolesAnywhereSession(init(http, { clock })).getCredentials(), ResponseFormatError);
  http.clearFaults();
});

test("clock skew: the signing clock is corrected from the service's Date header, once", async () => {
  const clock = new SkippingClock(Date.now() - 11 * 60_000);
  const count = http.requests.length;
  const session = new RolesAnywhereSession(init(http, { clock }));
  const credentials = await session.getCredentials();
  assert.ok(http.issued.has(credentials.accessKeyId));
  assert.equal(http.requests.length - count, 2, "one rejected, one corrected");
  assert.equal(http.requests.at(-2)!.status, 403);
});

test("HTTPS through a CONNECT proxy (option and HTTPS_PROXY)", async () => {
  const proxy = await startTestConnectProxy();
  try {
    await new RolesAnywhereSession(init(https, { proxy: proxy.url })).getCredentials();
    assert.equal(proxy.tunnels.length, 1);
    assert.equal(proxy.tunnels[0], new URL(https.url).host);
    process.env.HTTPS_PROXY = proxy.url;
    await new RolesAnywhereSession(init(https)).getCredentials();
    assert.equal(proxy.tunnels.length, 2);
    proxy.refuseWith = 403;
    await assert.rejects(
      new RolesAnywhereSession(init(https, { retry: { maxAttempts: 1 } })).getCredentials(),
      (e: unknown) => e instanceof NetworkError && e.kind === "proxy",
    );
  } finally {
    delete process.env.HTTPS_PROXY;
    await proxy.close();
  }
});

test("an untrusted server certificate is refused unless rejectUnauthorized is false", async () => {
  await assert.rejects(
    new RolesAnywhereSession(init(https, { caBundle: undefined, retry: { maxAttempts: 1 } })).getCredentials(),
    (e: unknown) => e instanceof NetworkError && e.kind === "tls-server-untrusted" && /caBundle/.test(e.message),
  );
  assert.ok(await new RolesAnywhereSession(init(https, { caBundle: undefined, rejectUnauthorized: false })).getCredentials());
});

test("a certificate renewed on disk is used at the next refresh without a restart", async () => {
  const certPath = join(dir, "renewing.pem");
  await writeFile(certPath, device.certificatePem);
  const session = new RolesAnywhereSession(init(http, { certificate: certPath }));
  await session.getCredentials();
  const renewed = await issuing.issue({ publicKey: device.certificate.publicKey, commonName: "device-1" });
  await writeFile(certPath, renewed.certificatePem);
  await session.getCredentials({ forceRefresh: true });
  assert.match(String(http.requests.at(-1)!.headers.authorization), new RegExp(`Credential=${renewed.serialNumber.toString(10)}/`));
});

test("debug logging never shows a secret, a token or the key", async () => {
  const logger = new CapturingLogger();
  http.inject({ status: 503, message: "flaky" });
  const session = new RolesAnywhereSession(init(http, { logger, clock: new SkippingClock() }));
  const credentials = await session.getCredentials();
  let failure: unknown;
  try {
    await new RolesAnywhereSession(init(http, { logger, roleArn: OTHER_ROLE })).getCredentials();
  } catch (error) {
    failure = error;
  }
  assert.ok(
    logger.lines.some((l) => l.includes("retrying")),
    "debug lines were written",
  );
  const texts = [
    ...logger.lines,
    String((failure as Error).message),
    String((failure as Error).stack),
    JSON.stringify(session),
    String((await import("node:util")).inspect(session)),
  ];
  assertNoSecrets(texts, [credentials.secretAccessKey, credentials.sessionToken, ...pemBodyLines(device.privateKeyPem!)]);
});
