/**
 * The cache against a throttling service, through the mechanisms' attempt
 * loop (attemptPlan + withRetries): a process that keeps trying by itself
 * (autoRefresh) sends one request per throttled fetch and waits minutes; a
 * caller with no refresh timer keeps its quick retries; serve's pacing stays
 * quick once it has served.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialCache, type RefreshPolicy } from "../../src/cache/credential-cache.js";
import type { CredentialSource, TemporaryCredentials } from "../../src/core/credentials.js";
import { ServiceError } from "../../src/core/errors.js";
import { attemptPlan, withRetries } from "../../src/transport/retry.js";
import { FakeClock, settle } from "../helpers/fake-clock.js";

const S = 1000;

/** A service that throttles (or fails with 503) the first `failing` requests, and records when requests came. */
class Service {
  readonly times: number[] = [];
  constructor(
    private readonly clock: FakeClock,
    public failing: number,
    private readonly status = 429,
  ) {}
  source(): CredentialSource {
    return {
      name: "throttling service",
      fetchCredentials: (context) => withRetries(async () => this.answer(), attemptPlan(context), this.clock, undefined, "CreateSession"),
    };
  }
  private answer(): TemporaryCredentials {
    this.times.push(this.clock.now());
    if (this.failing-- > 0) {
      throw this.status === 429
        ? new ServiceError("rolesanywhere", 429, "ThrottlingException", "Rate exceeded", "throttled")
        : new ServiceError("rolesanywhere", 503, "ServiceUnavailableException", "down", "down");
    }
    return { accessKeyId: `ASIA${this.times.length}`, secretAccessKey: "s", sessionToken: "t", expiration: new Date(this.clock.now() + 3_600_000) };
  }
}

function setup(failing: number, policy: RefreshPolicy, status = 429) {
  const clock = new FakeClock();
  const service = new Service(clock, failing, status);
  const cache = new CredentialCache(service.source(), { clock, policy });
  return { clock, service, cache, start: clock.now() };
}

test("autoRefresh: a throttled first fetch is one request; the next ones come 1–3, then up to 5 minutes apart", async () => {
  const { clock, service, cache, start } = setup(3, { autoRefresh: true });
  clock.randomValues = [0.5, 0.5, 0.5];
  await assert.rejects(cache.get(), (e: unknown) => e instanceof ServiceError && e.status === 429);
  assert.equal(service.times.length, 1, "no quick retry of a throttled attempt");
  await clock.advance(10 * 60 * S);
  await settle();
  // Waits of 120 s, 210 s, 300 s (r = 0.5): requests at 0, 120, 330, 630 s.
  assert.deepEqual(
    service.times.map((t) => (t - start) / S),
    [0, 120, 330],
  );
  await clock.advance(5 * 60 * S);
  assert.deepEqual(
    service.times.map((t) => (t - start) / S),
    [0, 120, 330, 630],
  );
  assert.equal((await cache.get()).accessKeyId, "ASIA4");
  await cache.close();
});

test("autoRefresh: a 503 still gets the quick retries of a fetch (3 attempts within a second)", async () => {
  const { clock, service, cache } = setup(2, { autoRefresh: true }, 503);
  const got = cache.get();
  await clock.advance(1_000);
  assert.match((await got).accessKeyId, /^ASIA/);
  assert.equal(service.times.length, 3);
  assert.ok(service.times.at(-1)! - service.times[0]! < 1_000);
  await cache.close();
});

test("no refresh timer: a caller who waits keeps the quick retries against throttling", async () => {
  const { clock, service, cache } = setup(2, {});
  const got = cache.get();
  await clock.advance(1_000);
  assert.match((await got).accessKeyId, /^ASIA/);
  assert.equal(service.times.length, 3, "two throttled attempts, the third served, within the fetch");
});

test("serve's policy: one request per throttled interval; 1 s pacing once it has served, the fleet's schedule before", async () => {
  const serve: RefreshPolicy = { autoRefresh: true, unavailableRetryDelayMs: 1_000, maxWaitWhileValidMs: 500 };
  const booting = setup(1, serve);
  await assert.rejects(booting.cache.get());
  const retryIn = booting.cache.retryInMs()!;
  assert.ok(retryIn >= 60 * S && retryIn <= 180 * S, `before its first credentials: retry in ${retryIn} ms`);
  await assert.rejects(booting.cache.get(), "callers meanwhile get the failure at once");
  assert.equal(booting.service.times.length, 1);
  await booting.cache.close();

  // Credentials that lapse (every refresh throttled until they expire): back within seconds (its clients poll every second).
  const lapsed = setup(0, serve);
  await lapsed.cache.get();
  lapsed.service.failing = 1_000_000;
  const expiry = lapsed.clock.now() + 3_600_000;
  await lapsed.clock.advance(3_600_000);
  // Its clients poll every second.
  for (let i = 0; i < 60; i++) {
    lapsed.cache.get().catch(() => undefined);
    await lapsed.clock.advance(S);
  }
  assert.ok(lapsed.cache.retryInMs() !== undefined, "no valid credentials left");
  const times = lapsed.service.times.filter((t) => t >= expiry);
  const afterExpiry = times.slice(1).map((t, i) => t - times[i]!);
  console.log(`serve after a lapse: throttled attempts ${afterExpiry.join(", ")} ms apart`);
  assert.ok(afterExpiry.length >= 3, `attempts after the lapse: ${times.length}`);
  assert.ok(
    afterExpiry.every((gap) => gap <= 30 * S),
    `after the lapse, throttled attempts seconds apart, not minutes: ${afterExpiry.join(", ")} ms`,
  );
  lapsed.service.failing = 0;
  await lapsed.clock.advance(60 * S);
  assert.match((await lapsed.cache.get()).accessKeyId, /^ASIA/);
  await lapsed.cache.close();
});
