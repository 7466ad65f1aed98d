import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession, ServiceError } from "../../../src/index.js";
import { type IotCredentialEmulator, startIotCredentialEmulator, type TestCertificate } from "../../../testing/index.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../helpers/iot-fixture.js";
import { CapturingLogger } from "../../helpers/log-capture.js";

const MINUTE = 60_000;
let server: ServerPki;
let device: DevicePki;
let renewed: TestCertificate & { privateKeyPem: string };
let iot: IotCredentialEmulator;
/** The emulator and the sessions share this clock; it starts at the real time so the test certificates are valid. */
let clock: FakeClock;

before(async () => {
  [server, device] = await Promise.all([createServerPki(), createDevicePki("ec-p256")]);
  renewed = (await device.ca.issue({ commonName: THING, keyType: "ec-p384", extendedKeyUsage: ["clientAuth"] })) as typeof renewed;
  clock = new FakeClock(Date.now());
  iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [device.ca.certificatePem],
    things: [{ name: THING, certificates: [device.thing.certificatePem, renewed.certificatePem] }],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN, credentialDurationSeconds: 3600 }],
    now: () => clock.now(),
  });
});
after(() => iot?.close());

/** Waits (in real time) until the emulator has seen `count` requests: a background refresh does real I/O. */
async function untilRequests(count: number): Promise<void> {
  for (let i = 0; i < 500 && iot.requests.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(iot.requests.length, count);
}

describe("refresh windows, with the foundation's cache", () => {
  test("cached until the refresh point, refreshed in the background in the advisory window, awaited in the mandatory one", async () => {
    clock.defaultRandom = 0; // no jitter: the refresh point is half the lifetime
    const session = new IotCredentialSession({ ...initFor(iot, server, device), clock });
    const start = iot.requests.length;
    try {
      const first = await session.getCredentials();
      assert.equal(first.expiration.getTime(), Math.floor(clock.now() / 1000) * 1000 + 3600_000);

      await clock.advance(29 * MINUTE);
      assert.equal((await session.getCredentials()).accessKeyId, first.accessKeyId);
      assert.equal(iot.requests.length, start + 1, "no fetch before half the lifetime");

      await clock.advance(2 * MINUTE);
      const served = await session.getCredentials();
      assert.equal(served.accessKeyId, first.accessKeyId, "in the advisory window the caller is served the cached credentials at once");
      await untilRequests(start + 2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await session.getCredentials();
      assert.notEqual(second.accessKeyId, first.accessKeyId, "the background refresh replaced them");

      await clock.advance(57 * MINUTE); // 2 minutes before the second set expires: mandatory window
      const third = await session.getCredentials();
      assert.notEqual(third.accessKeyId, second.accessKeyId);
      assert.equal(iot.requests.length, start + 3);
      assert.ok(third.expiration.getTime() - clock.now() > 55 * MINUTE);
    } finally {
      await session.close();
    }
  });

  test("a failed refresh keeps the old credentials while they are valid", async () => {
    clock.defaultRandom = 0.5;
    const logger = new CapturingLogger();
    const session = new IotCredentialSession({ ...initFor(iot, server, device), clock, retry: { maxAttempts: 1 }, logger });
    try {
      const good = await session.getCredentials();
      await clock.advance(57 * MINUTE);
      iot.inject({ status: 503, message: "Service Unavailable" });
      const kept = await session.getCredentials();
      assert.equal(kept.accessKeyId, good.accessKeyId);
      assert.ok(logger.at("warn").some((line) => /refresh failed inside the mandatory window; serving credentials valid until/.test(line)));
      assert.equal(iot.requests.at(-1)?.status, 503);

      await clock.advance(3 * MINUTE + 1); // now past expiry: the error surfaces
      iot.inject({ status: 503, message: "Service Unavailable" });
      await assert.rejects(session.getCredentials(), (error: unknown) => error instanceof ServiceError && error.status === 503);
      const calls = iot.requests.length;
      // Nothing valid left: one upstream attempt per backoff interval, the callers meanwhile get the failure at once.
      await assert.rejects(session.getCredentials(), (error: unknown) => error instanceof ServiceError && error.status === 503);
      assert.equal(iot.requests.length, calls, "no upstream call inside the backoff interval");
      await clock.advance(session.retryInMs()! + 1);
      const fresh = await session.getCredentials();
      assert.notEqual(fresh.accessKeyId, good.accessKeyId, "recovers once the service answers");
    } finally {
      await session.close();
    }
  });
});

describe("single flight", () => {
  test("1,000 concurrent calls on a new session: one request at the emulator", async () => {
    const session = new IotCredentialSession({ ...initFor(iot, server, device), clock });
    const before = iot.requests.length;
    try {
      const results = await Promise.all(Array.from({ length: 1000 }, () => session.getCredentials()));
      assert.equal(iot.requests.length - before, 1);
      assert.equal(new Set(results.map((c) => c.accessKeyId)).size, 1);
      assert.equal(session.fetchCount, 1);
    } finally {
      await session.close();
    }
  });

  test("1,000 concurrent SDK provider calls in the mandatory window: one refresh", async () => {
    const session = new IotCredentialSession({ ...initFor(iot, server, device), clock });
    try {
      const old = await session.getCredentials();
      await clock.advance(58 * MINUTE);
      const before = iot.requests.length;
      const results = await Promise.all(Array.from({ length: 1000 }, () => session.provider()));
      assert.equal(iot.requests.length - before, 1);
      assert.equal(new Set(results.map((c) => c.accessKeyId)).size, 1);
      assert.notEqual(results[0]?.accessKeyId, old.accessKeyId);
    } finally {
      await session.close();
    }
  });
});

describe("connections and files across refreshes", () => {
  test("keep-alive: 10 forced refreshes reuse the one TLS connection", async () => {
    const session = new IotCredentialSession(initFor(iot, server, device));
    const before = { ...iot.handshakes };
    try {
      await session.getCredentials();
      for (let i = 0; i < 10; i++) await session.getCredentials({ forceRefresh: true });
      assert.equal(iot.handshakes.total - before.total, 1, "one handshake for 11 fetches");
      assert.deepEqual(session.tlsHandshakes, { total: 1, resumed: 0 });
    } finally {
      await session.close();
    }
  });

  test("when the server closed the idle connection, the refresh resumes the TLS session", async () => {
    const session = new IotCredentialSession({ ...initFor(iot, server, device), endpoint: `localhost:${iot.port}` });
    const before = { ...iot.handshakes };
    try {
      await session.getCredentials();
      for (let i = 0; i < 5; i++) {
        iot.dropConnections();
        await new Promise((resolve) => setTimeout(resolve, 10));
        await session.getCredentials({ forceRefresh: true });
      }
      assert.equal(iot.handshakes.total - before.total, 6);
      assert.equal(iot.handshakes.resumed - before.resumed, 5, "every reconnection was an abbreviated handshake");
      assert.deepEqual(session.tlsHandshakes, { total: 6, resumed: 5 });
      assert.ok(iot.requests.slice(-5).every((r) => r.resumedSession && r.status === 200));
    } finally {
      await session.close();
    }
  });

  test("a certificate and key renewed on disk are used at the next refresh, on a new connection", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certcreds-iot-renew-"));
    const certificate = join(dir, "thing.cert.pem");
    const privateKey = join(dir, "thing.key");
    const id = (pem: TestCertificate) => createHash("sha256").update(pem.certificateDer).digest("hex");
    const session = new IotCredentialSession({ ...initFor(iot, server, device), certificate, privateKey });
    try {
      await writeFile(certificate, device.thing.certificatePem);
      await writeFile(privateKey, device.thing.privateKeyPem, { mode: 0o600 });
      await session.getCredentials();
      assert.equal(iot.requests.at(-1)?.clientCertificateId, id(device.thing));

      await writeFile(certificate, renewed.certificatePem);
      await writeFile(privateKey, renewed.privateKeyPem, { mode: 0o600 });
      await session.getCredentials({ forceRefresh: true });
      assert.equal(iot.requests.at(-1)?.clientCertificateId, id(renewed), "the renewed certificate authenticated the refresh");
      assert.equal(session.tlsHandshakes.total, 2, "a keep-alive connection of the old certificate is not reused");
    } finally {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
