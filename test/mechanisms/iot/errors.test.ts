import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  InputFormatError,
  InputReadError,
  IotCredentialSession,
  type IotSessionInit,
  NetworkError,
  ResponseFormatError,
  ServiceError,
} from "../../../src/index.js";
import {
  createTestCertificateAuthority,
  IOT_ERROR_MESSAGES,
  type IotCredentialEmulator,
  startIotCredentialEmulator,
  type TestCertificate,
} from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../helpers/iot-fixture.js";
import { CapturingLogger } from "../../helpers/log-capture.js";

let server: ServerPki;
let device: DevicePki;
let inactive: TestCertificate & { privateKeyPem: string };
let rogue: TestCertificate & { privateKeyPem: string };
let iot: IotCredentialEmulator;

before(async () => {
  [server, device] = await Promise.all([createServerPki(), createDevicePki("ec-p256")]);
  inactive = (await device.ca.issue({ commonName: "retired-thing", extendedKeyUsage: ["clientAuth"] })) as typeof inactive;
  const otherCa = await createTestCertificateAuthority({ commonName: "certcreds test CA nobody registered" });
  rogue = (await otherCa.issue({ commonName: "rogue-thing", extendedKeyUsage: ["clientAuth"] })) as typeof rogue;
  iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [device.ca.certificatePem],
    inactiveCertificates: [inactive.certificatePem],
    things: [
      { name: THING, certificates: [device.thing.certificatePem, inactive.certificatePem] },
      { name: "unattached-thing", certificates: [] },
    ],
    roleAliases: [
      { alias: ROLE_ALIAS, roleArn: ROLE_ARN },
      { alias: "denied-alias", roleArn: ROLE_ARN, policyAllows: false },
      { alias: "unassumable-alias", roleArn: "arn:aws:iam::123456789012:role/deleted-role", roleAssumable: false },
      { alias: "too-long-alias", roleArn: ROLE_ARN, credentialDurationSeconds: 7200, maxSessionDuration: 3600 },
    ],
  });
});
after(() => iot?.close());

/** Runs one fetch with a new session and returns what it threw. */
async function failure(extra: Partial<IotSessionInit>, emulator = iot): Promise<unknown> {
  const session = new IotCredentialSession({ ...initFor(emulator, server, device), ...extra });
  try {
    await session.getCredentials();
  } catch (error) {
    return error;
  } finally {
    await session.close();
  }
  assert.fail("expected the fetch to fail");
}

describe("each error of the service becomes a ServiceError with its message and the fix", () => {
  const rows: { name: string; extra: () => Partial<IotSessionInit>; status: number; message: string; fix: RegExp }[] = [
    {
      name: "thing that does not exist",
      extra: () => ({ thingName: "no-such-thing" }),
      status: 403,
      message: IOT_ERROR_MESSAGES.invalidThingName,
      fix: /thing "no-such-thing" does not exist .* attach-thing-principal --thing-name no-such-thing/,
    },
    {
      name: "thing the certificate is not attached to",
      extra: () => ({ thingName: "unattached-thing" }),
      status: 403,
      message: IOT_ERROR_MESSAGES.invalidThingName,
      fix: /is not attached to it/,
    },
    {
      name: "policy without iot:AssumeRoleWithCertificate",
      extra: () => ({ roleAlias: "denied-alias" }),
      status: 403,
      message: IOT_ERROR_MESSAGES.accessDenied,
      fix: /does not allow iot:AssumeRoleWithCertificate on the role alias "denied-alias".*rolealias\/denied-alias/,
    },
    {
      name: "inactive certificate",
      extra: () => ({ certificate: inactive.certificatePem, privateKey: inactive.privateKeyPem }),
      status: 403,
      message: IOT_ERROR_MESSAGES.invalidCertificate,
      fix: /"CN=retired-thing" \(certificate id [0-9a-f]{64}\) is not registered, or not ACTIVE.*update-certificate --new-status ACTIVE/,
    },
    {
      name: "role alias that does not exist",
      extra: () => ({ roleAlias: "no-such-alias" }),
      status: 404,
      message: IOT_ERROR_MESSAGES.roleAliasMissing,
      fix: /no role alias "no-such-alias" .*list-role-aliases/,
    },
    {
      name: "role that cannot be assumed",
      extra: () => ({ roleAlias: "unassumable-alias" }),
      status: 400,
      message: IOT_ERROR_MESSAGES.cannotAssumeRole,
      fix: /trust policy does not let credentials\.iot\.amazonaws\.com call sts:AssumeRole.*describe-role-alias --role-alias unassumable-alias/,
    },
    {
      name: "duration over the role's maximum",
      extra: () => ({ roleAlias: "too-long-alias" }),
      status: 400,
      message: IOT_ERROR_MESSAGES.durationTooLong,
      fix: /update-role-alias --role-alias too-long-alias --credential-duration-seconds .*MaxSessionDuration/,
    },
  ];
  for (const row of rows) {
    test(`${row.status} ${row.message} (${row.name})`, async () => {
      const before = iot.requests.length;
      const error = await failure(row.extra());
      assert.ok(error instanceof ServiceError, String(error));
      assert.equal(error.service, "iot");
      assert.equal(error.status, row.status);
      assert.equal(error.serviceMessage, row.message, "the service's message is kept unchanged");
      assert.ok(error.message.includes(row.message));
      assert.match(error.message, row.fix);
      assert.equal(error.retryable, false);
      assert.equal(error.tryNextLink, false);
      assert.equal(iot.requests.length, before + 1, "a 4xx is not retried");
      assert.equal(iot.requests.at(-1)?.status, row.status);
    });
  }

  test("the status table is the real service's", () => {
    assert.equal(IOT_ERROR_MESSAGES.invalidCertificate, "Certificate is invalid on this endpoint");
    assert.equal(IOT_ERROR_MESSAGES.durationTooLong, "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role");
  });
});

describe("a client certificate the endpoint does not know is refused, and the message says so", () => {
  test("issued by an unregistered CA: the connection is dropped after the handshake → tls-client-refused", async () => {
    const before = { requests: iot.requests.length, refused: iot.handshakes.refused };
    const error = await failure({ certificate: rogue.certificatePem, privateKey: rogue.privateKeyPem, thingName: "rogue-thing" });
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.kind, "tls-client-refused");
    assert.match(error.message, /refused the client certificate "CN=rogue-thing" \(certificate id [0-9a-f]{64}\)/);
    assert.match(error.message, /not registered, or not ACTIVE.*register-certificate-without-ca/);
    assert.equal(iot.requests.length, before.requests, "no HTTP request got through");
    assert.equal(iot.handshakes.refused - before.refused, 3, "each of the 3 attempts was refused: it was retried as a possible network reset first");
  });

  test("with an endpoint that answers 403 instead: Certificate is invalid on this endpoint", async () => {
    const strict = await startIotCredentialEmulator({
      serverCertificate: { cert: server.cert, key: server.key },
      registeredCas: [device.ca.certificatePem],
      unknownCertificates: "forbidden",
      things: [{ name: "rogue-thing", certificates: [rogue.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
    try {
      const error = await failure({ certificate: rogue.certificatePem, privateKey: rogue.privateKeyPem, thingName: "rogue-thing" }, strict);
      assert.ok(error instanceof ServiceError, String(error));
      assert.equal(error.status, 403);
      assert.equal(error.serviceMessage, IOT_ERROR_MESSAGES.invalidCertificate);
      assert.match(error.message, /the certificate "CN=rogue-thing" .* is not registered/);
    } finally {
      await strict.close();
    }
  });

  test("a certificate registered on its own (without its CA) is accepted", async () => {
    const alone = await startIotCredentialEmulator({
      serverCertificate: { cert: server.cert, key: server.key },
      registeredCertificates: [rogue.certificatePem],
      things: [{ name: "rogue-thing", certificates: [rogue.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
    const session = new IotCredentialSession({
      ...initFor(alone, server, device),
      certificate: rogue.certificatePem,
      privateKey: rogue.privateKeyPem,
      thingName: "rogue-thing",
    });
    try {
      const credentials = await session.getCredentials();
      assert.ok(alone.issued.has(credentials.accessKeyId));
    } finally {
      await session.close();
      await alone.close();
    }
  });

  const openssl = spawnSync("openssl", ["version"]).status === 0;
  test("a server that sends a TLS alert for the certificate (openssl s_server) → tls-client-refused", {
    skip: !openssl && "openssl is not installed",
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "certcreds-iot-openssl-"));
    let child: ChildProcess | undefined;
    try {
      await writeFile(join(dir, "server.pem"), server.cert);
      await writeFile(join(dir, "server.key"), server.key, { mode: 0o600 });
      await writeFile(join(dir, "registered-ca.pem"), device.ca.certificatePem);
      const port = await freePort();
      child = spawn(
        "openssl",
        [
          "s_server",
          "-quiet",
          "-accept",
          `127.0.0.1:${port}`,
          "-cert",
          "server.pem",
          "-key",
          "server.key",
          "-CAfile",
          "registered-ca.pem",
          "-Verify",
          "1",
          "-verify_return_error",
          "-www",
        ],
        { cwd: dir, stdio: "ignore" },
      );
      await waitForPort(port);
      const error = await failure({
        endpoint: `127.0.0.1:${port}`,
        certificate: rogue.certificatePem,
        privateKey: rogue.privateKeyPem,
        retry: { maxAttempts: 1 },
      });
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.kind, "tls-client-refused");
      assert.match(error.message, /refused the client certificate "CN=rogue-thing" .* during the TLS handshake \(ERR_SSL_[A-Z0-9_]+ALERT/);
    } finally {
      child?.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the server certificate", () => {
  let untrusted: IotCredentialEmulator;
  let selfIssued: ServerPki;
  before(async () => {
    selfIssued = await createServerPki("certcreds test CA the client does not trust");
    untrusted = await startIotCredentialEmulator({
      serverCertificate: { cert: selfIssued.cert, key: selfIssued.key },
      registeredCas: [device.ca.certificatePem],
      things: [{ name: THING, certificates: [device.thing.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
  });
  after(() => untrusted?.close());

  test("by default an untrusted server certificate is refused: tls-server-untrusted, pass ca", async () => {
    const error = await failure({}, untrusted);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.kind, "tls-server-untrusted");
    assert.match(error.message, /server certificate of 127\.0\.0\.1:\d+ is not trusted .*Pass the CA .*ca/);
    assert.equal(untrusted.requests.length, 0, "nothing was sent to the untrusted server");
  });

  test("verifyPeer: false accepts it, and warns at every fetch", async () => {
    const logger = new CapturingLogger();
    const session = new IotCredentialSession({
      ...initFor(untrusted, server, device),
      verifyPeer: false,
      logger,
    });
    try {
      await session.getCredentials();
      await session.getCredentials({ forceRefresh: true });
      assert.equal(untrusted.credentialsIssued, 2);
      const loud = logger.at("warn").filter((line) => /WARNING verifyPeer is false: the certificate of 127\.0\.0\.1 is NOT verified/.test(line));
      assert.equal(loud.length, 2, "one warning per fetch");
    } finally {
      await session.close();
    }
  });

  test("a ca input that holds no certificate, or is missing, is named as the culprit", async () => {
    const garbage = await failure({ ca: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n" }, untrusted);
    assert.ok(garbage instanceof InputFormatError, String(garbage));
    assert.equal(garbage.input, "ca");
    assert.match(garbage.message, /^ca \(PEM text\)/);
    const missing = await failure({ ca: "/nonexistent/AmazonRootCA1.pem" }, untrusted);
    assert.ok(missing instanceof InputReadError, String(missing));
    assert.match(missing.message, /ca file \/nonexistent\/AmazonRootCA1\.pem does not exist/);
  });

  test("a server certificate for another host name is refused", async () => {
    const ca = await createTestCertificateAuthority({ commonName: "certcreds test wrong-name CA" });
    const wrong = await ca.issue({ commonName: "elsewhere.example", dnsNames: ["elsewhere.example"] });
    const misnamed = await startIotCredentialEmulator({
      serverCertificate: { cert: wrong.certificatePem, key: wrong.privateKeyPem! },
      registeredCas: [device.ca.certificatePem],
      things: [{ name: THING, certificates: [device.thing.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
    try {
      const error = await failure({ endpoint: `localhost:${misnamed.port}`, ca: ca.certificatePem }, misnamed);
      assert.ok(error instanceof NetworkError);
      assert.equal(error.kind, "tls-server-untrusted");
      assert.match(error.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
    } finally {
      await misnamed.close();
    }
  });
});

describe("transient failures are retried; the rest is typed", () => {
  test("a 500 then a 200: retried, credentials returned", async () => {
    const before = iot.requests.length;
    iot.inject({ status: 500, message: "Internal Server Error" });
    const session = new IotCredentialSession(initFor(iot, server, device));
    try {
      assert.ok((await session.getCredentials()).accessKeyId);
      assert.deepEqual(
        iot.requests.slice(before).map((r) => r.status),
        [500, 200],
      );
    } finally {
      await session.close();
    }
  });

  test("throttling that does not stop: a retryable ServiceError after maxAttempts", async () => {
    const before = iot.requests.length;
    iot.inject({ status: 429, message: "Rate exceeded", times: 3 });
    const error = await failure({});
    assert.ok(error instanceof ServiceError);
    assert.equal(error.status, 429);
    assert.equal(error.retryable, true);
    assert.match(error.message, /Rate exceeded — the credential provider is throttling/);
    assert.equal(iot.requests.length - before, 3);
  });

  test("a connection reset once, then an answer", async () => {
    const before = iot.credentialsIssued;
    iot.inject({ resetConnection: true });
    const session = new IotCredentialSession(initFor(iot, server, device));
    try {
      assert.ok((await session.getCredentials()).accessKeyId);
      assert.equal(iot.credentialsIssued, before + 1);
    } finally {
      await session.close();
    }
  });

  test("a 200 whose body is not JSON: ResponseFormatError that quotes nothing of the body", async () => {
    iot.inject({ malformedBody: true, times: 3 });
    const error = await failure({});
    assert.ok(error instanceof ResponseFormatError, String(error));
    assert.equal(error.service, "iot");
    assert.doesNotMatch(error.message, /html|Bad Gateway/);
    assert.match(error.message, /not JSON.*iot:CredentialProvider endpoint/);
  });

  test("no answer within timeoutMs: NetworkError timeout", async () => {
    iot.inject({ hang: true });
    const started = performance.now();
    const error = await failure({ timeoutMs: 300, retry: { maxAttempts: 1 } });
    assert.ok(error instanceof NetworkError);
    assert.equal(error.kind, "timeout");
    assert.match(error.message, /within 300 ms.*timeoutMs/);
    assert.ok(performance.now() - started < 3000);
  });

  test("nothing listening: NetworkError connect", async () => {
    const port = await freePort();
    const error = await failure({ endpoint: `127.0.0.1:${port}`, retry: { maxAttempts: 1 } });
    assert.ok(error instanceof NetworkError);
    assert.equal(error.kind, "connect");
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import("node:net");
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`openssl s_server did not listen on ${port}`);
}
