import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay } from "../../src/transport/retry.js";

test("backoff: exponential ceiling with full jitter, Retry-After as a floor", () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(0, options, () => 0.999),
    99,
  );
  assert.equal(
    backoffDelay(3, options, () => 0.999),
    799,
  );
  assert.equal(
    backoffDelay(10, options, () => 0.999),
    999,
  );
  assert.equal(
    backoffDelay(10, options, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(0, options, () => 0, 2),
    2000,
  );
});
