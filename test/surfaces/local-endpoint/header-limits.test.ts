/**
 * A request with more header lines than the server takes is refused (431),
 * never cut short: a header checked for (X-Forwarded-For on the IMDSv2 token
 * request) cannot hide past the cut.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MAX_HEADER_LINES } from "../../../src/surfaces/local-endpoint/credential-server.js";
import { AUTHORIZATION_TOKEN, type InProcessServer, rawExchange, startInProcessServer } from "./in-process-server.js";

let endpoint: InProcessServer;
before(async () => {
  endpoint = await startInProcessServer();
});
after(async () => {
  await endpoint?.close();
});

/** `count` filler header lines. */
const filler = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `X-Filler-${from + i}: ${i}\r\n`).join("");

/** A token request with `before` filler lines, then `header` (if any), then `afterward` filler lines: Host, the TTL and Connection make three more. */
function tokenRequest(before: number, header: string | undefined, afterward = 0): string {
  return (
    "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n" +
    filler(before) +
    (header === undefined ? "" : `${header}\r\n`) +
    filler(afterward, before) +
    "Connection: close\r\n\r\n"
  );
}

test("up to the limit of header lines a request is answered; one more is 431, and the connection closed", async () => {
  assert.equal(MAX_HEADER_LINES, 128);
  const atLimit = await rawExchange(endpoint.port, tokenRequest(MAX_HEADER_LINES - 3, undefined));
  assert.equal(atLimit.status, 200, atLimit.raw.slice(0, 200));
  const over = await rawExchange(endpoint.port, tokenRequest(MAX_HEADER_LINES - 2, undefined));
  assert.equal(over.status, 431, over.raw.slice(0, 200));
  assert.match(over.raw, /\r\nConnection: close\r\n/i);
  assert.match(over.raw, /"Code":"RequestHeaderFieldsTooLarge"/);
  // Node's own limit took 64 lines and dropped the others: a credentials request with 200 is refused too, not answered from a part.
  const credentials = await rawExchange(
    endpoint.port,
    `GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTHORIZATION_TOKEN}\r\n${filler(200)}Connection: close\r\n\r\n`,
  );
  assert.equal(credentials.status, 431);
  assert.doesNotMatch(credentials.raw, /SecretAccessKey/);
});

test("X-Forwarded-For is found wherever it is among the header lines, in any case, empty or repeated", async () => {
  for (const position of [0, 40, 61, 62, 63, 64, 65, 100, MAX_HEADER_LINES - 4]) {
    for (const header of ["X-Forwarded-For: 203.0.113.9", "x-forwarded-for: 203.0.113.9", "X-FORWARDED-FOR:", "X-Forwarded-For: a\r\nX-Forwarded-For: b"]) {
      const lines = header.split("\r\n").length;
      const answer = await rawExchange(endpoint.port, tokenRequest(Math.max(0, position - lines + 1), header));
      assert.equal(answer.status, 403, `${JSON.stringify(header)} after ${position} lines: ${answer.raw.slice(0, 200)}`);
      assert.match(answer.raw, /X-Forwarded-For/);
    }
  }
  // Past the limit the whole request is refused, so nothing can hide behind it either.
  const hidden = await rawExchange(endpoint.port, tokenRequest(200, "X-Forwarded-For: 203.0.113.9", 10));
  assert.equal(hidden.status, 431);
  // A similar name is not the header.
  const similar = await rawExchange(endpoint.port, tokenRequest(70, "X-Forwarded-Forx: 203.0.113.9"));
  assert.equal(similar.status, 200);
});
