/**
 * The cache during an upstream outage: one warning per failed fetch (not one
 * per waiting caller), and once no valid credentials are left, one upstream
 * attempt per backoff interval however many callers ask.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialCache } from "../../src/cache/credential-cache.js";
import type { CredentialSource, FetchContext, TemporaryCredentials } from "../../src/core/credentials.js";
import { ServiceError } from "../../src/core/errors.js";
import { FakeClock, settle } from "../helpers/fake-clock.js";
import { CapturingLogger } from "../helpers/log-capture.js";

/** A source that fails while `down`, each attempt taking `latencyMs` of the fake clock. */
class FlakySource implements CredentialSource {
  readonly name = "test source";
  attempts = 0;
  down = false;
  readonly contexts: FetchContext[] = [];
  constructor(private readonly clock: FakeClock) {}
  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    this.contexts.push(context ?? { background: false });
    // A blocking fetch retries three times, as the mechanisms do; a single attempt once.
    const tries = context?.background ? 1 : 3;
    for (let i = 0; i < tries; i++) {
      this.attempts++;
      await this.clock.sleep(50);
      if (!this.down) {
        return {
          accessKeyId: `ASIA${String(this.attempts).padStart(16, "0")}`,
          secretAccessKey: "s",
          sessionToken: "t",
          expiration: new Date(this.clock.now() + 3600_000),
        };
      }
    }
    throw new ServiceError("rolesanywhere", 503, "ServiceUnavailableException", "down", "CreateSession failed: down");
  }
}

/** Awaits `promise` while moving the fake clock (the source sleeps on it). */
async function settled<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  await clock.advance(1_000);
  return promise;
}

test("a failed refresh in the mandatory window is logged once, whatever the number of waiting callers (was once per caller)", async () => {
  const clock = new FakeClock();
  const source = new FlakySource(clock);
  const logger = new CapturingLogger();
  const cache = new CredentialCache(source, { clock, logger });
  const first = await settled(clock, cache.get());
  await clock.advance(57 * 60_000); // inside the mandatory window (last 5 minutes)
  source.down = true;
  const waiting = Promise.all(Array.from({ length: 50 }, () => cache.get()));
  await clock.advance(1_000);
  const served = await waiting;
  assert.ok(
    served.every((credentials) => credentials.accessKeyId === first.accessKeyId),
    "the valid credentials are served",
  );
  const lines = logger.lines.filter((line) => /refresh failed inside the mandatory window/.test(line));
  assert.equal(lines.length, 1, lines.join("\n"));
});

test("no valid credentials: one upstream attempt per backoff interval for a client polling 4 times a second (was about 3 per request)", async () => {
  const clock = new FakeClock();
  const source = new FlakySource(clock);
  const cache = new CredentialCache(source, { clock, policy: { autoRefresh: false, unavailableRetryDelayMs: 1_000 } });
  source.down = true;
  const failures: unknown[] = [];
  for (let i = 0; i < 30; i++) {
    // 7.5 s of a client asking every 250 ms.
    const asked = cache.get().then(
      () => assert.fail("no credentials can be had"),
      (error: unknown) => failures.push(error),
    );
    await clock.advance(250);
    await asked;
  }
  await settle();
  assert.equal(failures.length, 30);
  assert.ok(
    failures.every((error) => error instanceof ServiceError && error.status === 503),
    "each caller gets the upstream's failure",
  );
  // Backoff 1 s, 2 s, 4 s (jittered to 0.75 of that): attempts at 0, ~0.8, ~2.3, ~5.3 s.
  console.log(`outage: ${source.attempts} upstream attempts in 7.5 s for 30 requests`);
  assert.ok(source.attempts <= 6, `${source.attempts} upstream attempts`);
  assert.ok(
    source.contexts.slice(1).every((context) => context.background),
    "after a failure each interval is a single attempt",
  );
  const waitMs = cache.retryInMs();
  assert.ok(waitMs !== undefined && waitMs > 0 && waitMs <= 10_000, `retry in ${waitMs} ms`);

  source.down = false;
  await clock.advance(10_001);
  const recovered = await settled(clock, cache.get());
  assert.match(recovered.accessKeyId, /^ASIA/);
  assert.equal(cache.retryInMs(), undefined);
});

test("a forced refresh is never held back by the backoff", async () => {
  const clock = new FakeClock();
  const source = new FlakySource(clock);
  const cache = new CredentialCache(source, { clock });
  source.down = true;
  const failed = cache.get().catch(() => undefined);
  await clock.advance(1_000);
  await failed;
  source.down = false;
  const attempts = source.attempts;
  const forced = cache.get({ forceRefresh: true });
  await clock.advance(1_000);
  assert.match((await forced).accessKeyId, /^ASIA/);
  assert.equal(source.attempts, attempts + 1);
});
