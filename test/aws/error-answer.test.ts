/**
 * Retry-After as the services may send it: what is read, and what is refused
 * (how long a value is honoured is the cache's rule: test/cache/retry-schedule.test.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAmzRetryAfter, parseRetryAfter, readErrorAnswer } from "../../src/aws/error-answer.js";

test("Retry-After: whole seconds or an HTTP date (its three forms); anything else is ignored", () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 0);
  assert.equal(parseRetryAfter("120", now), 120);
  assert.equal(parseRetryAfter(" 7 ", now), 7);
  assert.equal(parseRetryAfter("0", now), 0);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), 37);
  assert.equal(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), 37);
  assert.equal(parseRetryAfter("Sun Nov  6 08:49:37 1994", now), 37);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:48:00 GMT", now), 0, "a date in the past: now");
  // Hostile or broken: negative, fractional, hex, exponent, Infinity, 13+ digits, text, dates without a zone, lists.
  for (const value of [
    "-5",
    "1.5",
    "0x10",
    "1e9",
    "Infinity",
    "99999999999999999999",
    "soon",
    "",
    "March 7",
    "2030-01-01",
    "5, 6",
    "Sun, 06 Nov 1994 08:49:37",
  ]) {
    assert.equal(parseRetryAfter(value, now), undefined, JSON.stringify(value));
  }
  assert.equal(parseRetryAfter(["1", "2"], now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  // A far-future date is read as it is: the cache bounds what it honours.
  assert.ok(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now)! > 1e11);
});

test("x-amz-retry-after: whole milliseconds, preferred to Retry-After", () => {
  assert.equal(parseAmzRetryAfter("1500"), 1.5);
  for (const value of ["-1", "1.5", "abc", "", "9999999999999"]) assert.equal(parseAmzRetryAfter(value), undefined, value);
  const answer = (headers: Record<string, string>) => readErrorAnswer({ status: 429, headers, body: Buffer.from('{"message":"Rate exceeded"}') }, 0);
  assert.equal(answer({ "x-amz-retry-after": "2500", "retry-after": "9" }).retryAfterSeconds, 2.5);
  assert.equal(answer({ "x-amz-retry-after": "garbage", "retry-after": "9" }).retryAfterSeconds, 9);
  assert.equal(answer({}).retryAfterSeconds, undefined);
});
