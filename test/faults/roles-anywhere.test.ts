/**
 * Upstream faults through the emulator's fault switches, over real sockets:
 * for each, the retry count, the backoff, the final error — and that callers
 * holding valid credentials see no failure.
 */
import assert from "node:assert/strict";
import { createServer as createTcpServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { NetworkError, ResponseFormatError, RolesAnywhereSession, type RolesAnywhereSessionInit, ServiceError } from "../../src/index.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  type RolesAnywhereFault,
  startRolesAnywhereEmulator,
  type TestCertificate,
} from "../../testing/index.js";
import { FakeClock, SkippingClock, settle } from "../helpers/fake-clock.js";

let device: TestCertificate;
let emulator: RolesAnywhereEmulator;
let garbageTls: Server;

before(async () => {
  const root = await createTestCertificateAuthority();
  device = await root.issue();
  emulator = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/R"] }],
  });
  // A port that answers a TLS client with plain text: a handshake failure.
  garbageTls = createTcpServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  await new Promise<void>((resolve) => garbageTls.listen(0, "127.0.0.1", resolve));
});
after(async () => {
  await emulator.close();
  garbageTls.close();
});

function init(extra: Partial<RolesAnywhereSessionInit> = {}): RolesAnywhereSessionInit {
  return {
    certificate: device.certificatePem,
    privateKey: device.privateKeyPem!,
    trustAnchorArn: emulator.trustAnchorArn,
    profileArn: emulator.profileArn,
    roleArn: emulator.roleArn,
    endpoint: emulator.url,
    timeoutMs: 500,
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    ...extra,
  } as RolesAnywhereSessionInit;
}

interface Case {
  name: string;
  fault: RolesAnywhereFault;
  check: (error: unknown) => boolean;
  /** Expected backoff delays with random() = 0.999 (full jitter, base 100 ms, doubling). */
  sleeps: number[];
}

const permanentCases: Case[] = [
  {
    name: "500",
    fault: { status: 500, errorType: "InternalServerException", message: "boom" },
    check: (e) => e instanceof ServiceError && e.status === 500,
    sleeps: [99, 199],
  },
  {
    name: "503",
    fault: { status: 503, errorType: "ServiceUnavailableException", message: "busy" },
    check: (e) => e instanceof ServiceError && e.status === 503,
    sleeps: [99, 199],
  },
  {
    name: "429 without Retry-After",
    fault: { status: 429, errorType: "ThrottlingException", message: "Rate exceeded" },
    check: (e) => e instanceof ServiceError && e.status === 429 && /10 calls per second/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "429 with Retry-After: 2",
    fault: { status: 429, errorType: "ThrottlingException", message: "Rate exceeded", retryAfterSeconds: 2 },
    check: (e) => e instanceof ServiceError && e.retryAfterSeconds === 2,
    sleeps: [2000, 2000],
  },
  {
    name: "connection reset before the answer",
    fault: { resetConnection: true },
    check: (e) => e instanceof NetworkError && e.kind === "reset",
    sleeps: [99, 199],
  },
  { name: "connection reset mid-body", fault: { resetMidBody: true }, check: (e) => e instanceof NetworkError && e.kind === "reset", sleeps: [99, 199] },
  { name: "accepts and never answers", fault: { hang: true }, check: (e) => e instanceof NetworkError && e.kind === "timeout", sleeps: [99, 199] },
  { name: "malformed success body", fault: { malformedBody: true }, check: (e) => e instanceof ResponseFormatError, sleeps: [99, 199] },
];

for (const c of permanentCases) {
  test(`fault that persists — ${c.name}: 3 attempts, backoff ${c.sleeps.join(" ms, ")} ms, typed final error`, async () => {
    emulator.clearFaults();
    emulator.inject({ ...c.fault, times: 3 });
    const clock = new SkippingClock(Date.now(), 0.999);
    const count = emulator.requests.length;
    const session = new RolesAnywhereSession(init({ clock }));
    await assert.rejects(session.getCredentials(), c.check);
    assert.equal(emulator.requests.length - count, 3, "attempts");
    assert.deepEqual(clock.sleeps, c.sleeps);
    emulator.clearFaults();
    await session.close();
  });

  test(`fault that passes — ${c.name}: recovered on the next attempt`, async () => {
    emulator.clearFaults();
    emulator.inject({ ...c.fault, times: 1 });
    const clock = new SkippingClock(Date.now(), 0.5);
    const session = new RolesAnywhereSession(init({ clock }));
    const credentials = await session.getCredentials();
    assert.ok(emulator.issued.has(credentials.accessKeyId));
    assert.equal(clock.sleeps.length, 1);
    await session.close();
  });
}

test("TLS handshake failure: typed tls error, retried? no — it is not transient", async () => {
  const port = (garbageTls.address() as AddressInfo).port;
  const clock = new SkippingClock();
  const session = new RolesAnywhereSession(init({ endpoint: `https://127.0.0.1:${port}`, clock }));
  await assert.rejects(session.getCredentials(), (e: unknown) => e instanceof NetworkError && e.kind === "tls" && /TLS handshake/.test(e.message));
  assert.deepEqual(clock.sleeps, [], "not retried");
});

test("callers holding valid credentials see no failure while every fault strikes in turn", async () => {
  emulator.clearFaults();
  const clock = new FakeClock(Date.now());
  clock.defaultRandom = 0;
  const session = new RolesAnywhereSession(init({ clock }));
  const first = await session.getCredentials();
  // Into the background-refresh window, then each fault in turn answers the background refreshes.
  await clock.advance(31 * 60_000);
  let served = 0;
  for (const c of permanentCases) {
    if (c.fault.hang) continue; // a hang would hold a real socket for timeoutMs; covered above
    emulator.inject({ ...c.fault, times: 1 });
    const credentials = await session.getCredentials();
    assert.equal(credentials.accessKeyId, first.accessKeyId, `${c.name}: still the valid credentials`);
    served++;
    await new Promise((resolve) => setTimeout(resolve, 60)); // let the background attempt hit the fault
    await settle();
    await clock.advance(3 * 60_000); // past the failure backoff (15 s doubling, at most 150 s with random 0): the next call tries again
  }
  assert.equal(served, permanentCases.length - 1);
  assert.ok(Date.now() > 0 && clock.now() - first.expiration.getTime() < -5 * 60_000, "still before the mandatory window");
  const attempts = emulator.requests.filter((r) => r.status !== 201).length;
  assert.ok(attempts >= served, `each fault met one background attempt (${attempts})`);
  await session.close();
});
