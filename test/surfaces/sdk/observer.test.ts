import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CredentialEvent, fromRolesAnywhere, IotCredentialSession, RolesAnywhereSession } from "../../../src/index.js";
import { isLogFields } from "../../../src/core/logger.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type RolesAnywhereEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../../testing/index.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../helpers/iot-fixture.js";
import { CapturingLogger } from "../../helpers/log-capture.js";

const DAY = 86_400_000;
let root: TestCertificateAuthority;
let intermediate: TestCertificateAuthority;
let device: TestCertificate;
let ra: RolesAnywhereEmulator;
let dir: string;

before(async () => {
  root = await createTestCertificateAuthority({ commonName: "observer root" });
  intermediate = await root.createIntermediate({ commonName: "observer intermediate", notAfter: new Date(Date.now() + 365 * DAY) });
  device = await intermediate.issue({ commonName: "observer-device", notAfter: new Date(Date.now() + 300 * DAY) });
  ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/ObserverRole"] }],
  });
  dir = mkdtempSync(join(tmpdir(), "certcreds-observer-"));
});
after(async () => {
  await ra.close();
  rmSync(dir, { recursive: true, force: true });
});

function init(certificate: TestCertificate = device, chain: string = intermediate.certificatePem) {
  return {
    certificate: certificate.certificatePem,
    certificateChain: chain,
    privateKey: certificate.privateKeyPem!,
    trustAnchorArn: ra.trustAnchorArn,
    profileArn: ra.profileArn,
    roleArn: ra.roleArn,
    endpoint: ra.url,
    retry: { maxAttempts: 1 },
  };
}

/** A session with an observer that keeps every event. */
function observed(extra: Record<string, unknown> = {}, base = init()) {
  const events: CredentialEvent[] = [];
  const session = new RolesAnywhereSession({ ...base, observer: (event) => events.push(event), ...extra });
  return { session, events, types: () => events.map((event) => event.type) };
}

describe("observer: one test per event", () => {
  test("refresh-started and refresh-succeeded, with the duration, the expiration and the certificates used", async () => {
    const { session, events, types } = observed();
    const credentials = await session.getCredentials();
    assert.deepEqual(types(), ["refresh-started", "refresh-succeeded"]);
    const started = events[0]!;
    const succeeded = events[1]!;
    assert.equal(started.type === "refresh-started" && started.background, false, "nothing was cached: a caller waits");
    assert.equal(started.mechanism, "IAM Roles Anywhere");
    assert.ok(succeeded.type === "refresh-succeeded");
    assert.equal(succeeded.outcome, "success");
    assert.ok(succeeded.durationMs >= 0 && succeeded.durationMs < 30_000);
    assert.equal(succeeded.expiration.getTime(), credentials.expiration.getTime());
    assert.ok(succeeded.nextRefreshAt.getTime() < credentials.expiration.getTime(), "the next refresh comes before expiry");
    assert.deepEqual(
      succeeded.certificates.map((c) => [c.role, c.index, c.subject.includes("observer-device") || c.subject.includes("observer intermediate")]),
      [
        ["leaf", 0, true],
        ["intermediate", 1, true],
      ],
    );
    assert.equal(succeeded.certificates[0]!.notAfter.getTime(), new Date(device.certificate.validTo).getTime());
    assert.ok(!JSON.stringify(events).includes(credentials.secretAccessKey), "no secret in any event");
    assert.ok(!JSON.stringify(events).includes(credentials.sessionToken));
    // Served from the cache: no new event.
    await session.getCredentials();
    assert.equal(events.length, 2);
    await session.close();
  });

  for (const [fault, outcome] of [
    [{ status: 429, errorType: "ThrottlingException", message: "Rate exceeded" }, "throttled"],
    [{ status: 500, errorType: "InternalServerException" }, "server_error"],
    [{ status: 403, errorType: "AccessDeniedException", message: "Not authorized" }, "client_error"],
  ] as const) {
    test(`refresh-failed: HTTP ${fault.status} is counted as ${outcome}`, async () => {
      const { session, events } = observed();
      ra.inject(fault);
      await assert.rejects(session.getCredentials());
      const failed = events.find((event) => event.type === "refresh-failed");
      assert.ok(failed && failed.type === "refresh-failed", `a refresh-failed event (got ${events.map((e) => e.type)})`);
      assert.equal(failed.outcome, outcome);
      assert.ok(failed.error instanceof Error);
      assert.equal(failed.validUntil, undefined, "nothing valid was cached");
      assert.ok(failed.nextAttemptAt.getTime() >= failed.time.getTime());
      await session.close();
    });
  }

  test("refresh-failed: no answer at all is a network failure", async () => {
    const { session, events } = observed({ endpoint: "https://127.0.0.1:1", timeoutMs: 2_000 });
    await assert.rejects(session.getCredentials());
    const failed = events.find((event) => event.type === "refresh-failed");
    assert.equal(failed?.type === "refresh-failed" && failed.outcome, "network");
    await session.close();
  });

  test("served-while-stale: a refresh failing in the mandatory window leaves the valid credentials in use, told once", async () => {
    const clock = new FakeClock(Date.now());
    const { session, events, types } = observed({ clock });
    const first = await session.getCredentials();
    // 57 minutes on: inside the 5-minute mandatory window of hour-long credentials.
    clock.current = first.expiration.getTime() - 3 * 60_000;
    ra.inject({ status: 500, errorType: "InternalServerException" });
    ra.inject({ status: 500, errorType: "InternalServerException" });
    const again = await session.getCredentials();
    assert.equal(again.accessKeyId, first.accessKeyId, "the cached credentials are served");
    const stale = events.filter((event) => event.type === "served-while-stale");
    assert.equal(stale.length, 1, `one served-while-stale event (got ${types()})`);
    assert.ok(stale[0]!.type === "served-while-stale" && stale[0]!.expiration.getTime() === first.expiration.getTime());
    assert.ok(stale[0]!.type === "served-while-stale" && stale[0]!.error instanceof Error, "it names the failure");
    const failed = events.find((event) => event.type === "refresh-failed");
    assert.equal(
      failed?.type === "refresh-failed" && failed.validUntil?.getTime(),
      first.expiration.getTime(),
      "the failure says until when the old ones last",
    );
    ra.clearFaults();
    await session.close();
  });

  test("served-while-stale: a slow refresh (maxWaitWhileValidMs) serves the cached credentials, without an error", async () => {
    const clock = new FakeClock(Date.now());
    const { session, events } = observed({ clock, refresh: { maxWaitWhileValidMs: 50 } });
    const first = await session.getCredentials();
    clock.current = first.expiration.getTime() - 3 * 60_000;
    ra.inject({ delayMs: 2_000 });
    const waiting = session.getCredentials();
    await clock.advance(60);
    const served = await waiting;
    assert.equal(served.accessKeyId, first.accessKeyId);
    const stale = events.find((event) => event.type === "served-while-stale");
    assert.ok(stale?.type === "served-while-stale" && stale.error === undefined);
    await session.close();
  });

  test("certificate-expiring: a leaf with 2 days left and an intermediate inside the threshold, each once, with days left", async () => {
    const ca = await root.createIntermediate({ commonName: "observer short intermediate", notAfter: new Date(Date.now() + 10 * DAY) });
    const short = await ca.issue({ commonName: "observer-expiring", notAfter: new Date(Date.now() + 2 * DAY) });
    const { session, events } = observed({}, init(short, ca.certificatePem));
    await session.getCredentials();
    const expiring = events.filter((event) => event.type === "certificate-expiring");
    assert.deepEqual(
      expiring.map((event) => event.type === "certificate-expiring" && [event.certificate.role, event.daysLeft, event.thresholdDays]),
      [
        ["leaf", 1, 30],
        ["intermediate", 9, 30],
      ],
    );
    assert.deepEqual(
      session.expiringCertificates().map((entry) => entry.certificate.role),
      ["leaf", "intermediate"],
    );
    await session.getCredentials({ forceRefresh: true });
    assert.equal(events.filter((event) => event.type === "certificate-expiring").length, 2, "not again on the same day");
    await session.close();
  });

  test("certificate-expiring: expiryWarningDays sets the threshold (0: never); a renewed certificate clears it", async () => {
    const short = await intermediate.issue({ commonName: "observer-renewed", notAfter: new Date(Date.now() + 2 * DAY) });
    const quiet = observed({ expiryWarningDays: 1 }, init(short));
    await quiet.session.getCredentials();
    assert.equal(quiet.events.filter((event) => event.type === "certificate-expiring").length, 0, "2 days left is outside a 1-day threshold");
    await quiet.session.close();
    const off = observed({ expiryWarningDays: 0 }, init(short));
    await off.session.getCredentials();
    assert.equal(off.events.filter((event) => event.type === "certificate-expiring").length, 0);
    await off.session.close();

    const certificateFile = join(dir, "renewed.pem");
    const keyFile = join(dir, "renewed.key");
    writeFileSync(certificateFile, short.certificatePem);
    writeFileSync(keyFile, short.privateKeyPem!);
    const files = observed({}, { ...init(short), certificate: certificateFile, privateKey: keyFile });
    await files.session.getCredentials();
    assert.equal(files.session.expiringCertificates().length, 1);
    const renewed = await intermediate.issue({ commonName: "observer-renewed", notAfter: new Date(Date.now() + 200 * DAY) });
    writeFileSync(certificateFile, renewed.certificatePem);
    writeFileSync(keyFile, renewed.privateKeyPem!);
    await files.session.getCredentials({ forceRefresh: true });
    assert.deepEqual(files.session.expiringCertificates(), [], "the renewed certificate clears the warning");
    assert.equal(files.session.certificates()[0]!.serialNumber, renewed.certificate.serialNumber);
    await files.session.close();
  });

  test("an observer that throws changes nothing for the caller", async () => {
    const session = new RolesAnywhereSession({
      ...init(),
      observer: () => {
        throw new Error("observer bug");
      },
    });
    const credentials = await session.getCredentials();
    assert.match(credentials.accessKeyId, /^ASIA/);
    await session.close();
  });

  test("a provider takes the observer too; a non-function observer is a typed error naming the option", async () => {
    const events: CredentialEvent[] = [];
    const provider = fromRolesAnywhere({ ...init(), observer: (event) => events.push(event) });
    await provider();
    assert.deepEqual(
      events.map((event) => event.type),
      ["refresh-started", "refresh-succeeded"],
    );
    assert.throws(() => new RolesAnywhereSession({ ...init(), observer: "yes" as never }), { code: "ERR_CERTCREDS_CONFIGURATION", option: "observer" });
    assert.throws(() => new RolesAnywhereSession({ ...init(), expiryWarningDays: -1 }), { code: "ERR_CERTCREDS_CONFIGURATION", option: "expiryWarningDays" });
  });

  test("the library's log lines carry the same event names, as their last argument", async () => {
    const logger = new CapturingLogger();
    const short = await intermediate.issue({ commonName: "observer-logged", notAfter: new Date(Date.now() + 2 * DAY) });
    const session = new RolesAnywhereSession({ ...init(short), logger, logLevel: "debug" });
    await session.getCredentials();
    ra.inject({ status: 429, errorType: "ThrottlingException" });
    await assert.rejects(session.getCredentials({ forceRefresh: true }));
    const named = logger.records.map((record) => record.content.at(-1)).filter(isLogFields);
    const names = named.map((fields) => fields.event);
    for (const name of ["refresh-started", "refresh-succeeded", "certificate-expiring", "refresh-failed"])
      assert.ok(names.includes(name), `${name} in ${names}`);
    const warning = logger.records.find((record) => (record.content.at(-1) as { event?: string }).event === "certificate-expiring")!;
    assert.equal(warning.level, "warn");
    assert.match(String(warning.content[0]), /certificate "CN=observer-logged.*expires .* in 1 day: renew it/);
    const failed = named.find((fields) => fields.event === "refresh-failed")!;
    assert.equal(failed.outcome, "throttled");
    assert.equal(failed.code, "ERR_CERTCREDS_SERVICE");
    await session.close();
  });
});

describe("observer on AWS IoT", () => {
  let server: ServerPki;
  let pki: DevicePki;
  let iot: IotCredentialEmulator;
  before(async () => {
    [server, pki] = await Promise.all([createServerPki(), createDevicePki("ec-p256")]);
    iot = await startIotCredentialEmulator({
      serverCertificate: { cert: server.cert, key: server.key },
      registeredCas: [pki.ca.certificatePem],
      things: [{ name: THING, certificates: [pki.thing.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN, credentialDurationSeconds: 3600 }],
    });
  });
  after(() => iot.close());

  test("the same events, with the mutual-TLS certificate", async () => {
    const events: CredentialEvent[] = [];
    const session = new IotCredentialSession({ ...initFor(iot, server, pki), observer: (event) => events.push(event) });
    await session.getCredentials();
    assert.deepEqual(
      events.map((event) => event.type),
      ["refresh-started", "refresh-succeeded"],
    );
    const succeeded = events[1]!;
    assert.ok(succeeded.type === "refresh-succeeded" && succeeded.mechanism === "AWS IoT credential provider");
    assert.ok(succeeded.type === "refresh-succeeded" && succeeded.certificates[0]!.serialNumber === pki.thing.certificate.serialNumber);
    await session.close();
  });
});
