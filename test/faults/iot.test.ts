/**
 * Upstream faults for the AWS IoT credential provider, through the
 * emulator's fault switches over real mutual-TLS sockets: for each, the
 * retry count, the backoff, the final typed error — and that a session
 * holding valid credentials sees no failure while faults strike its
 * background refreshes. DNS failures go through `dns.lookup` (what Node's
 * sockets call), so no query leaves the machine.
 */
import assert from "node:assert/strict";
import dns from "node:dns";
import { type AddressInfo, createServer as createTcpServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession, type IotSessionInit, NetworkError, ResponseFormatError, ServiceError } from "../../src/index.js";
import type { IotCredentialEmulator, IotFault } from "../../testing/index.js";
import { FakeClock, SkippingClock, settle } from "../helpers/fake-clock.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, type ServerPki, startEmulatorFor } from "../helpers/iot-fixture.js";
import { CapturingLogger } from "../helpers/log-capture.js";

let server: ServerPki;
let device: DevicePki;
let iot: IotCredentialEmulator;
/** Answers a TLS client with plain text: the handshake fails. */
let plainText: Server;
/** Accepts TCP and closes it at once: the handshake is cut off. */
let closesAtOnce: Server;

async function listen(s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as AddressInfo).port;
}

before(async () => {
  [server, device] = await Promise.all([createServerPki(), createDevicePki("ec-p256")]);
  iot = await startEmulatorFor(server, device);
  plainText = createTcpServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  closesAtOnce = createTcpServer((socket) => socket.destroy());
  await Promise.all([listen(plainText), listen(closesAtOnce)]);
});
after(async () => {
  await iot?.close();
  plainText?.close();
  closesAtOnce?.close();
});

/** Three attempts, 100 ms first backoff ceiling doubling, 500 ms per attempt. */
function init(extra: Partial<IotSessionInit> = {}): IotSessionInit {
  return initFor(iot, server, device, { timeoutMs: 500, retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 }, ...extra });
}

interface Case {
  name: string;
  fault: IotFault;
  check: (error: unknown) => boolean;
  /** Backoff delays with random() = 0.999 (full jitter: ⌊0.999 · min(1000, 100 · 2^n)⌋, Retry-After a floor). */
  sleeps: number[];
}

const cases: Case[] = [
  {
    name: "500",
    fault: { status: 500, message: "InternalFailure" },
    check: (e) => e instanceof ServiceError && e.status === 500 && e.service === "iot" && /retried with backoff/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "503",
    fault: { status: 503, message: "Service Unavailable" },
    check: (e) => e instanceof ServiceError && e.status === 503 && e.serviceMessage === "Service Unavailable",
    sleeps: [99, 199],
  },
  {
    name: "429 without Retry-After",
    fault: { status: 429, message: "Rate exceeded" },
    check: (e) => e instanceof ServiceError && e.status === 429 && e.retryAfterSeconds === undefined && /throttling/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "429 with Retry-After: 2",
    fault: { status: 429, message: "Rate exceeded", retryAfterSeconds: 2 },
    check: (e) => e instanceof ServiceError && e.status === 429 && e.retryAfterSeconds === 2,
    sleeps: [2000, 2000],
  },
  {
    name: "connection reset mid-body",
    fault: { resetMidBody: true },
    check: (e) => e instanceof NetworkError && e.kind === "reset" && /before a full answer/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "accepts and never answers",
    fault: { hang: true },
    check: (e) => e instanceof NetworkError && e.kind === "timeout" && /within 500 ms/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "malformed 200 body",
    fault: { malformedBody: true },
    check: (e) => e instanceof ResponseFormatError && !/502 Bad Gateway/.test(e.message),
    sleeps: [99, 199],
  },
  {
    name: "connection reset before any answer, every attempt on a new connection",
    fault: { resetConnection: true },
    // Looks exactly like an endpoint that drops an unknown client certificate after the handshake, the likelier cause: reported as that.
    check: (e) =>
      e instanceof NetworkError &&
      e.kind === "tls-client-refused" &&
      /closed the connection right after the TLS handshake, before answering \(3 attempts/.test(e.message),
    sleeps: [99, 199],
  },
];

describe("a fault that persists: 3 attempts, exponential backoff with full jitter, a typed final error", () => {
  for (const c of cases) {
    test(`${c.name}: backoff ${c.sleeps.join(" ms, ")} ms`, async () => {
      iot.clearFaults();
      iot.inject({ ...c.fault, times: 3 });
      const clock = new SkippingClock(Date.now(), 0.999);
      const before = iot.requests.length;
      const issued = iot.credentialsIssued;
      const session = new IotCredentialSession(init({ clock }));
      try {
        await assert.rejects(session.getCredentials(), c.check);
        assert.equal(iot.requests.length - before, 3, "attempts");
        assert.equal(iot.credentialsIssued, issued, "nothing issued");
        assert.deepEqual(clock.sleeps, c.sleeps);
      } finally {
        iot.clearFaults();
        await session.close();
      }
    });
  }

  test("connection reset before any answer when the first attempt reused a kept-alive connection: a plain reset", async () => {
    iot.clearFaults();
    const clock = new SkippingClock(Date.now(), 0.999);
    const session = new IotCredentialSession(init({ clock }));
    try {
      await session.getCredentials(); // leaves a kept-alive connection
      const before = iot.requests.length;
      iot.inject({ resetConnection: true, times: 3 });
      await assert.rejects(session.getCredentials({ forceRefresh: true }), (e: unknown) => e instanceof NetworkError && e.kind === "reset");
      assert.equal(iot.requests.length - before, 3);
      assert.deepEqual(clock.sleeps, [99, 199]);
    } finally {
      iot.clearFaults();
      await session.close();
    }
  });
});

describe("a fault that passes: recovered on the next attempt", () => {
  for (const c of cases) {
    test(c.name, async () => {
      iot.clearFaults();
      iot.inject({ ...c.fault, times: 1 });
      const clock = new SkippingClock(Date.now(), 0.5);
      const before = iot.requests.length;
      const session = new IotCredentialSession(init({ clock }));
      try {
        const credentials = await session.getCredentials();
        assert.ok(iot.issued.has(credentials.accessKeyId), "credentials the emulator issued");
        assert.equal(iot.requests.length - before, 2, "one failed attempt, one that succeeded");
        assert.deepEqual(clock.sleeps, [c.fault.retryAfterSeconds ? 2000 : 50]);
      } finally {
        await session.close();
      }
    });
  }

  test("a slow answer (delayMs 300) within the deadline is no failure: one attempt, no backoff", async () => {
    iot.clearFaults();
    iot.inject({ delayMs: 300 });
    const clock = new SkippingClock(Date.now());
    const before = iot.requests.length;
    const session = new IotCredentialSession(init({ clock }));
    try {
      assert.ok(iot.issued.has((await session.getCredentials()).accessKeyId));
      assert.equal(iot.requests.length - before, 1);
      assert.deepEqual(clock.sleeps, []);
    } finally {
      await session.close();
    }
  });
});

describe("TLS handshake failures", () => {
  test("a server that does not speak TLS: NetworkError tls, not retried", async () => {
    const clock = new SkippingClock();
    const session = new IotCredentialSession(init({ endpoint: `https://127.0.0.1:${(plainText.address() as AddressInfo).port}`, clock }));
    try {
      await assert.rejects(
        session.getCredentials(),
        (e: unknown) => e instanceof NetworkError && e.kind === "tls" && /TLS handshake with 127\.0\.0\.1/.test(e.message),
      );
      assert.deepEqual(clock.sleeps, [], "not retried: it is not transient");
    } finally {
      await session.close();
    }
  });

  test("a server that cuts the handshake off: NetworkError reset after 3 attempts", async () => {
    let connections = 0;
    closesAtOnce.on("connection", () => connections++);
    const clock = new SkippingClock(Date.now(), 0.999);
    const session = new IotCredentialSession(init({ endpoint: `https://127.0.0.1:${(closesAtOnce.address() as AddressInfo).port}`, clock }));
    try {
      // No handshake completed, so nothing suggests the client certificate was refused.
      await assert.rejects(session.getCredentials(), (e: unknown) => e instanceof NetworkError && e.kind === "reset");
      assert.equal(connections, 3);
      assert.deepEqual(clock.sleeps, [99, 199]);
    } finally {
      await session.close();
    }
  });
});

describe("DNS failure (dns.lookup answers ENOTFOUND; nothing leaves the machine)", () => {
  const endpoint = () => `https://localhost:${iot.port}`;

  test("persistent: NetworkError dns naming the host, after 3 attempts with backoff", async (t) => {
    const lookups: string[] = [];
    t.mock.method(dns, "lookup", (host: string, options: unknown, callback?: (error: Error) => void) => {
      lookups.push(host);
      const done = (typeof options === "function" ? options : callback) as (error: Error) => void;
      process.nextTick(() => done(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host })));
    });
    const clock = new SkippingClock(Date.now(), 0.999);
    const before = iot.requests.length;
    const session = new IotCredentialSession(init({ endpoint: endpoint(), clock }));
    try {
      await assert.rejects(
        session.getCredentials(),
        (e: unknown) => e instanceof NetworkError && e.kind === "dns" && /localhost does not resolve \(ENOTFOUND\)/.test(e.message),
      );
      assert.deepEqual(lookups, ["localhost", "localhost", "localhost"]);
      assert.deepEqual(clock.sleeps, [99, 199]);
      assert.equal(iot.requests.length, before, "no request reached the emulator");
    } finally {
      await session.close();
    }
  });

  test("transient (EAI_AGAIN twice, then resolved): credentials on the third attempt", async (t) => {
    const real = dns.lookup;
    let failures = 0;
    t.mock.method(dns, "lookup", (host: string, options: unknown, callback?: unknown) => {
      if (failures < 2) {
        failures++;
        const done = (typeof options === "function" ? options : callback) as (error: Error) => void;
        process.nextTick(() => done(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: "EAI_AGAIN", hostname: host })));
        return;
      }
      assert.equal(host, "localhost", "only the loopback name is ever resolved");
      // localhost resolves from /etc/hosts: no query leaves the machine.
      return (real as (...args: unknown[]) => void)(host, options, callback);
    });
    const clock = new SkippingClock(Date.now(), 0.999);
    const session = new IotCredentialSession(init({ endpoint: endpoint(), clock }));
    try {
      const credentials = await session.getCredentials();
      assert.ok(iot.issued.has(credentials.accessKeyId));
      assert.equal(failures, 2);
      assert.deepEqual(clock.sleeps, [99, 199]);
    } finally {
      await session.close();
    }
  });
});

describe("clock skew (IoT requests carry no signature: only the expiration matters)", () => {
  test("credentials already expired by the local clock but valid by the service's (its Date header): accepted, expressed in local time, one warning", async () => {
    const skewed = await startEmulatorFor(server, device, { now: () => Date.now() - 2 * 3600_000 });
    const logger = new CapturingLogger();
    const session = new IotCredentialSession(initFor(skewed, server, device, { logger, logLevel: "warn" }));
    try {
      const credentials = await session.getCredentials();
      const left = credentials.expiration.getTime() - Date.now();
      assert.ok(Math.abs(left - 3600_000) < 2_000, `an hour left by this machine's clock, got ${left} ms`);
      await session.getCredentials({ forceRefresh: true });
      const warnings = logger.lines.filter((line) => /clock is \d+ s ahead of the AWS IoT credential provider's/.test(line));
      assert.equal(warnings.length, 1, "warned once, not at every refresh");
      assert.match(warnings[0]!, /Synchronise this machine's clock \(NTP\)/);
    } finally {
      await session.close();
      await skewed.close();
    }
  });

  for (const [name, offset] of [
    ["a day ahead", 24 * 3600_000],
    ["40 minutes behind", -40 * 60_000],
  ] as const) {
    test(`a server whose clock (Date header, expirations) is ${name}: credentials accepted, their expiration in this machine's time, served from the cache`, async () => {
      const skewed = await startEmulatorFor(server, device, { now: () => Date.now() + offset });
      const session = new IotCredentialSession(initFor(skewed, server, device));
      try {
        const credentials = await session.getCredentials();
        assert.ok(skewed.issued.has(credentials.accessKeyId));
        const left = credentials.expiration.getTime() - Date.now();
        assert.ok(Math.abs(left - 3600_000) < 2_000, `the service's hour, by this machine's clock (got ${left} ms)`);
        for (let i = 0; i < 5; i++) assert.equal((await session.getCredentials()).accessKeyId, credentials.accessKeyId);
        assert.equal(skewed.requests.length, 1, "cached: no refetch");
      } finally {
        await session.close();
        await skewed.close();
      }
    });
  }
});

describe("a session holding valid credentials sees no failure while faults strike its background refreshes", () => {
  test("each fault in turn meets one single-attempt background refresh; every caller gets the valid credentials at once", async () => {
    iot.clearFaults();
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0; // refresh point at half the lifetime; failure backoff 15 s, doubling
    const logger = new CapturingLogger();
    const session = new IotCredentialSession(init({ clock, logger, logLevel: "warn" }));
    const failedRefreshes = () => logger.lines.filter((line) => /credential refresh failed/.test(line)).length;
    try {
      const first = await session.getCredentials();
      await clock.advance(30.5 * 60_000); // into the advisory window (from 30 min): the next call starts a background refresh
      const struck: string[] = [];
      for (const c of cases) {
        const failedBefore = failedRefreshes();
        const before = iot.requests.length;
        iot.inject({ ...c.fault, times: 1 });
        const started = Date.now();
        // A burst of callers while the background attempt meets the fault: none waits for it, none fails.
        const served = await Promise.all(Array.from({ length: 20 }, () => session.getCredentials()));
        assert.ok(Date.now() - started < 100, `${c.name}: served without waiting for the upstream`);
        for (const credentials of served) assert.equal(credentials.accessKeyId, first.accessKeyId, `${c.name}: still the valid credentials`);
        for (let i = 0; i < 400 && failedRefreshes() === failedBefore; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(failedRefreshes(), failedBefore + 1, `${c.name}: the background refresh met the fault`);
        assert.equal(iot.requests.length - before, 1, `${c.name}: a background refresh makes one attempt`);
        struck.push(c.name);
        await settle();
        assert.equal((await session.getCredentials()).accessKeyId, first.accessKeyId);
        // Past the failure backoff (15 s doubling, at most 5 min · 0.5 with random 0): the next call tries again.
        await clock.advance(150_000 + 1_000);
      }
      assert.equal(struck.length, cases.length);
      assert.ok(first.expiration.getTime() - clock.now() > 5 * 60_000, "all of it before the mandatory window");
      // The faults gone, the next background refresh replaces the credentials.
      const before = iot.requests.length;
      assert.equal((await session.getCredentials()).accessKeyId, first.accessKeyId);
      for (let i = 0; i < 400 && iot.requests.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < 400 && (await session.getCredentials()).accessKeyId === first.accessKeyId; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
      assert.notEqual((await session.getCredentials()).accessKeyId, first.accessKeyId, "recovered");
    } finally {
      iot.clearFaults();
      await session.close();
    }
  });

  test("in the mandatory window a passing fault costs the caller one retry, not a failure", async () => {
    iot.clearFaults();
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0;
    const session = new IotCredentialSession(init({ clock, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } }));
    try {
      const first = await session.getCredentials();
      await clock.advance(56 * 60_000); // past the mandatory point (55 min): callers wait for fresh credentials
      iot.inject({ status: 503, message: "Service Unavailable", times: 2 });
      const before = iot.requests.length;
      // The backoff sleeps on the fake clock: move it while the real requests run.
      const fresh = await untilSettled(clock, Promise.all(Array.from({ length: 10 }, () => session.getCredentials())));
      for (const credentials of fresh) assert.notEqual(credentials.accessKeyId, first.accessKeyId);
      assert.equal(iot.requests.length - before, 3, "two faults, then the answer — one fetch for all ten callers");
    } finally {
      iot.clearFaults();
      await session.close();
    }
  });

  test("seconds before expiry, a fetch that every attempt fails still serves the cached credentials; once expired, the typed error", async () => {
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0;
    const emulator = await startEmulatorFor(server, device, { now: () => clock.now() });
    const logger = new CapturingLogger();
    const session = new IotCredentialSession(initFor(emulator, server, device, { clock, logger, logLevel: "warn", retry: { maxAttempts: 3, baseDelayMs: 1 } }));
    try {
      const first = await session.getCredentials();
      await clock.advance(first.expiration.getTime() - clock.now() - 5_000); // 5 s left
      emulator.inject({ status: 500, message: "InternalFailure", times: 3 });
      const before = emulator.requests.length;
      assert.equal((await untilSettled(clock, session.getCredentials())).accessKeyId, first.accessKeyId, "still valid, so still served");
      assert.equal(emulator.requests.length - before, 3, "the caller's fetch made its 3 attempts first");
      assert.ok(logger.lines.some((line) => /refresh failed inside the mandatory window; serving credentials valid until/.test(line)));
      await clock.advance(5_000); // expired now
      emulator.inject({ status: 500, message: "InternalFailure", times: 3 });
      await assert.rejects(untilSettled(clock, session.getCredentials()), (e: unknown) => e instanceof ServiceError && e.status === 500);
    } finally {
      await session.close();
      await emulator.close();
    }
  });

  test("a caller that joins a background attempt which then fails, with seconds left, gets a fetch with retries of its own", async () => {
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0; // refresh point at half the lifetime
    const emulator = await startEmulatorFor(server, device, { now: () => clock.now() });
    const session = new IotCredentialSession(initFor(emulator, server, device, { clock, retry: { maxAttempts: 3, baseDelayMs: 1 } }));
    try {
      const first = await session.getCredentials();
      await clock.advance(first.expiration.getTime() - 5 * 60_000 - 1_000 - clock.now()); // a second before the mandatory window
      // The background attempt (one attempt) meets a slow 503; meanwhile the clock reaches the last 5 s.
      emulator.inject({ status: 503, message: "Service Unavailable", delayMs: 300 });
      const before = emulator.requests.length;
      assert.equal((await session.getCredentials()).accessKeyId, first.accessKeyId, "advisory window: served at once");
      await clock.advance(first.expiration.getTime() - clock.now() - 5_000);
      const fresh = await untilSettled(clock, session.getCredentials());
      assert.notEqual(fresh.accessKeyId, first.accessKeyId, "fresh credentials, not a failure");
      assert.equal(emulator.requests.length - before, 2, "the background attempt, then the caller's own fetch");
    } finally {
      await session.close();
      await emulator.close();
    }
  });
});

describe("refresh.maxWaitWhileValidMs (what serve sets): a hanging upstream does not hold callers while valid credentials exist", () => {
  test("a caller in the mandatory window waits that long for the fetch, then gets the still-valid credentials; the fetch carries on", async () => {
    iot.clearFaults();
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0;
    const session = new IotCredentialSession(init({ clock, refresh: { maxWaitWhileValidMs: 300 } }));
    try {
      const first = await session.getCredentials();
      await clock.advance(56 * 60_000); // mandatory window: 4 minutes of validity left
      iot.inject({ hang: true, times: 3 });
      const before = iot.requests.length;
      let settled = false;
      const pending = session.getCredentials().finally(() => (settled = true));
      await clock.advance(299);
      assert.equal(settled, false, "the caller waits for the fetch first");
      await clock.advance(1);
      assert.equal((await pending).accessKeyId, first.accessKeyId, "then it gets the cached credentials");
      assert.equal(iot.requests.length - before, 1, "one fetch under way, hanging");
      // Other callers meanwhile: the same bounded wait, no second fetch.
      const second = session.getCredentials();
      await clock.advance(300);
      assert.equal((await second).accessKeyId, first.accessKeyId);
      assert.equal(iot.requests.length - before, 1);
    } finally {
      iot.clearFaults();
      await session.close();
    }
  });

  test("without it, the caller waits for the fetch (the SDKs' mandatory-refresh behaviour)", async () => {
    iot.clearFaults();
    const clock = new FakeClock(Date.now());
    clock.defaultRandom = 0;
    const session = new IotCredentialSession(init({ clock, timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 1 } }));
    try {
      const first = await session.getCredentials();
      await clock.advance(56 * 60_000);
      iot.inject({ hang: true, times: 1 });
      const fresh = await untilSettled(clock, session.getCredentials());
      assert.notEqual(fresh.accessKeyId, first.accessKeyId, "fresh credentials after the hung attempt timed out and the retry succeeded");
    } finally {
      iot.clearFaults();
      await session.close();
    }
  });
});

/** Awaits `promise` while moving the fake clock, so that backoff sleeps on it end while real I/O runs. */
async function untilSettled<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => {});
  for (let i = 0; i < 400 && !done; i++) {
    await clock.advance(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return watched;
}
