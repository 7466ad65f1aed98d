import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialCache } from "../../src/cache/credential-cache.js";
import type { CredentialSource, TemporaryCredentials } from "../../src/core/credentials.js";
import { NetworkError } from "../../src/core/errors.js";
import { FakeClock, settle } from "../helpers/fake-clock.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A source that issues numbered hour-long credentials and can be told to fail or to wait. */
class CountingSource implements CredentialSource {
  readonly name = "test source";
  calls = 0;
  fail = false;
  gate: Promise<void> | undefined;
  constructor(private readonly clock: FakeClock) {}
  async fetchCredentials(): Promise<TemporaryCredentials> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.fail) throw new NetworkError("reset", "upstream reset");
    return {
      accessKeyId: `ASIA${this.calls}`,
      secretAccessKey: "s",
      sessionToken: "t",
      expiration: new Date(this.clock.now() + HOUR),
    };
  }
}

function setup(random = 0) {
  const clock = new FakeClock();
  clock.defaultRandom = random;
  const source = new CountingSource(clock);
  const cache = new CredentialCache(source, { clock });
  return { clock, source, cache };
}

test("caches: a second call makes no fetch", async () => {
  const { source, cache } = setup();
  const a = await cache.get();
  const b = await cache.get();
  assert.equal(a, b);
  assert.equal(source.calls, 1);
});

test("advisory window: serves cached credentials and refreshes in the background", async () => {
  const { clock, source, cache } = setup(0); // jitter 0: refresh at half the lifetime
  await cache.get();
  await clock.advance(29 * MINUTE);
  assert.equal((await cache.get()).accessKeyId, "ASIA1");
  assert.equal(source.calls, 1, "no refresh before half the lifetime");
  await clock.advance(2 * MINUTE);
  const served = await cache.get();
  assert.equal(served.accessKeyId, "ASIA1", "the caller is not blocked");
  await settle();
  assert.equal(source.calls, 2);
  assert.equal((await cache.get()).accessKeyId, "ASIA2");
});

test("jitter spreads the refresh point between half the lifetime and the mandatory window", async () => {
  for (const [random, earliest, latest] of [
    [0, 30, 31],
    [0.999, 54, 55],
  ] as const) {
    const { clock, source, cache } = setup(random);
    await cache.get();
    await clock.advance(earliest * MINUTE - 1);
    await cache.get();
    await settle();
    assert.equal(source.calls, 1, `random ${random}: no refresh before minute ${earliest}`);
    await clock.advance((latest - earliest) * MINUTE + 2);
    await cache.get();
    await settle();
    assert.equal(source.calls, 2, `random ${random}: refresh by minute ${latest}`);
  }
});

test("mandatory window: the caller waits for fresh credentials", async () => {
  const { clock, source, cache } = setup(0.999);
  await cache.get();
  await clock.advance(56 * MINUTE);
  const fresh = await cache.get();
  assert.equal(fresh.accessKeyId, "ASIA2");
  assert.equal(source.calls, 2);
});

test("a failed background refresh keeps the valid credentials and retries later", async () => {
  const { clock, source, cache } = setup(0);
  await cache.get();
  source.fail = true;
  await clock.advance(31 * MINUTE);
  assert.equal((await cache.get()).accessKeyId, "ASIA1");
  await settle();
  assert.equal(source.calls, 2);
  // Within the retry delay no new attempt is made, however often it is asked.
  for (let i = 0; i < 50; i++) assert.equal((await cache.get()).accessKeyId, "ASIA1");
  await settle();
  assert.equal(source.calls, 2);
  source.fail = false;
  await clock.advance(31_000);
  await cache.get();
  await settle();
  assert.equal(source.calls, 3);
  assert.equal((await cache.get()).accessKeyId, "ASIA3");
});

test("a failed refresh in the mandatory window still serves credentials that are valid", async () => {
  const { clock, source, cache } = setup(0.999);
  await cache.get();
  source.fail = true;
  await clock.advance(57 * MINUTE);
  assert.equal((await cache.get()).accessKeyId, "ASIA1");
  await clock.advance(3 * MINUTE);
  await assert.rejects(cache.get(), NetworkError, "expired credentials are never served");
});

test("single flight: 1,000 concurrent callers cause one fetch", async () => {
  const { source, cache } = setup();
  let open!: () => void;
  source.gate = new Promise((resolve) => (open = resolve));
  const callers = Array.from({ length: 1000 }, () => cache.get());
  await settle();
  open();
  const results = await Promise.all(callers);
  assert.equal(source.calls, 1);
  assert.ok(results.every((r) => r === results[0]));
});

test("a first fetch that fails is reported to every waiting caller", async () => {
  const { source, cache } = setup();
  source.fail = true;
  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cache.get()));
  assert.ok(outcomes.every((o) => o.status === "rejected" && o.reason instanceof NetworkError));
  assert.equal(source.calls, 1);
});

test("forceRefresh fetches even when cached credentials are fresh", async () => {
  const { source, cache } = setup();
  await cache.get();
  assert.equal((await cache.get({ forceRefresh: true })).accessKeyId, "ASIA2");
  assert.equal(source.calls, 2);
});

test("autoRefresh refreshes on a timer without any caller", async () => {
  const clock = new FakeClock();
  clock.defaultRandom = 0;
  const source = new CountingSource(clock);
  const cache = new CredentialCache(source, { clock, policy: { autoRefresh: true } });
  await cache.get();
  await clock.advance(31 * MINUTE);
  assert.equal(source.calls, 2);
  assert.equal(cache.peek()?.accessKeyId, "ASIA2");
  await cache.close();
  await clock.advance(HOUR);
  assert.equal(source.calls, 2, "no refresh after close");
});

test("a refresh that succeeded at once keeps its phase; one that met a failure is re-randomised", async () => {
  const { clock, source, cache } = setup(0); // random 0: a randomised refresh lands at half the lifetime
  await cache.get(); // first credentials: randomised → refresh at minute 30
  await clock.advance(30 * MINUTE);
  await cache.get();
  await settle();
  assert.equal(source.calls, 2, "first refresh at the random point");
  // That refresh succeeded at once: the next one is 15 minutes before expiry (minute 45), not at minute 30.
  await clock.advance(30 * MINUTE);
  await cache.get();
  await settle();
  assert.equal(source.calls, 2, "no refresh at half the lifetime any more");
  await clock.advance(15 * MINUTE);
  source.fail = true;
  await cache.get();
  await settle();
  assert.equal(source.calls, 3, "steady refresh at minute 45 (fails)");
  source.fail = false;
  await clock.advance(31_000);
  await cache.get();
  await settle();
  assert.equal(source.calls, 4, "retried after the failure delay");
  // Obtained after a failure: the next refresh is randomised again (half the lifetime with random 0).
  await clock.advance(30 * MINUTE);
  await cache.get();
  await settle();
  assert.equal(source.calls, 5);
});

test("background refreshes ask the source for a single attempt; blocking ones do not", async () => {
  const clock = new FakeClock();
  clock.defaultRandom = 0;
  const contexts: (boolean | undefined)[] = [];
  const source: CredentialSource = {
    name: "context recorder",
    fetchCredentials: async (context) => {
      contexts.push(context?.background);
      return { accessKeyId: "A", secretAccessKey: "s", sessionToken: "t", expiration: new Date(clock.now() + HOUR) };
    },
  };
  const cache = new CredentialCache(source, { clock });
  await cache.get();
  await clock.advance(31 * MINUTE);
  await cache.get();
  await settle();
  await clock.advance(60 * MINUTE);
  await cache.get();
  assert.deepEqual(contexts, [false, true, false]);
});
