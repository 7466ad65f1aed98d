import assert from "node:assert/strict";
import { test } from "node:test";
import { BodyTooLargeError, HttpParseError, type ParsedResponse, ResponseParser } from "../../../src/transport/http1/response-parser.js";

const limits = { maxHeadBytes: 16 * 1024, maxBodyBytes: 1024, method: "GET" };

/** Feeds the text one byte at a time (every split point a network could make), then the end if asked. */
function parse(text: string | Buffer, options: { end?: boolean; method?: string; maxBodyBytes?: number } = {}): ParsedResponse {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "latin1");
  const parser = new ResponseParser({
    ...limits,
    ...(options.method ? { method: options.method } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  let result: ParsedResponse | undefined;
  for (let i = 0; i < bytes.length && !result; i++) result = parser.push(bytes.subarray(i, i + 1));
  if (!result && options.end) result = parser.end();
  assert.ok(result, "the answer completed");
  return result;
}

function parseAll(text: string, options: { end?: boolean; method?: string } = {}): ParsedResponse | undefined {
  const parser = new ResponseParser({ ...limits, ...(options.method ? { method: options.method } : {}) });
  const result = parser.push(Buffer.from(text, "latin1"));
  return result ?? (options.end ? parser.end() : undefined);
}

test("Content-Length: the body read to its length, byte by byte; the connection may carry another request", () => {
  const r = parse('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}');
  assert.equal(r.status, 201);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.body.toString(), '{"a":"bcd"}');
  assert.equal(r.reusable, true);
});

test("chunked: sizes in hex with extensions, trailers read past; reusable", () => {
  const r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\nA\r\npedia in\r\n\r\n0\r\nX-Trailer: yes\r\n\r\n");
  assert.equal(r.body.toString(), "Wikipedia in\r\n");
  assert.equal(r.reusable, true);
  const both = parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  assert.equal(both.body.toString(), "ok", "chunked wins over a Content-Length beside it");
  assert.equal(both.reusable, false, "and the connection is not reused (RFC 9112 6.3)");
});

test("no framing: the body ends with the connection, which is not reused", () => {
  const r = parse("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end", { end: true });
  assert.equal(r.body.toString(), "until the end");
  assert.equal(r.reusable, false);
});

test("interim 1xx answers are skipped; HEAD, 204 and 304 have no body whatever their headers say", () => {
  assert.equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").body.toString(), "ok");
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", { method: "HEAD" }).body.length, 0);
  assert.equal(parse("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n").body.length, 0);
  assert.equal(parse("HTTP/1.1 304 Not Modified\r\n\r\n").status, 304);
});

test("headers: names lower-cased, values trimmed, repeats joined (set-cookie kept apart)", () => {
  const r = parse("HTTP/1.1 200 OK\r\nX-Amzn-ErrorType:  Throttling \t\r\nVia: a\r\nvia: b\r\nSet-Cookie: x=1\r\nSet-Cookie: y=2\r\nContent-Length: 0\r\n\r\n");
  assert.equal(r.headers["x-amzn-errortype"], "Throttling");
  assert.equal(r.headers.via, "a, b");
  assert.deepEqual(r.headers["set-cookie"], ["x=1", "y=2"]);
});

test("header names from the network cannot reach the object's prototype: __proto__, constructor, toString are plain headers", () => {
  const r = parse("HTTP/1.1 200 OK\r\n__proto__: polluted\r\nConstructor: c\r\ntoString: t\r\nhasOwnProperty: h\r\nContent-Length: 0\r\n\r\n");
  assert.equal(Object.getPrototypeOf(r.headers), null);
  assert.equal(r.headers.constructor, "c");
  assert.equal(r.headers.tostring, "t");
  assert.equal(r.headers.hasownproperty, "h");
  assert.equal(Object.getOwnPropertyDescriptor(r.headers, "__proto__")?.value, "polluted");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("not reused: Connection: close, HTTP/1.0, or bytes after the answer", () => {
  assert.equal(parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").reusable, false);
  assert.equal(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable, false);
  assert.equal(parseAll("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK")?.reusable, false);
  assert.equal(parseAll("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx")?.body.toString(), "x", "a repeated identical length is one length");
});

test("hostile heads are refused: no status line, folded or malformed header lines, control characters, 101", () => {
  for (const [name, text] of [
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"],
    ["HTTP/2 status line", "HTTP/2 200\r\n\r\n"],
    ["status not 3 digits", "HTTP/1.1 20 OK\r\n\r\n"],
    ["status glued to text", "HTTP/1.1 200OK\r\n\r\n"],
    ["obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n"],
    ["space in a header name", "HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n"],
    ["line without a colon", "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n"],
    ["NUL in a value", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n"],
    ["lone CR in a value", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n"],
    ["switching protocols unasked", "HTTP/1.1 101 Switching Protocols\r\n\r\n"],
    ["two different lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"],
    ["a length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    ["a length in hex", "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"],
  ]) {
    assert.throws(() => parseAll(text!), HttpParseError, name);
  }
});

test("hostile chunked bodies are refused: bad sizes, chunks longer than said, endless chunk lines", () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.throws(() => parseAll(`${head}zz\r\n`), HttpParseError, "not hex");
  assert.throws(() => parseAll(`${head}-1\r\n`), HttpParseError, "negative");
  assert.throws(() => parseAll(`${head}12345678901234\r\n`), HttpParseError, "14 hex digits");
  assert.throws(() => parseAll(`${head}2\r\nabc\r\n`), HttpParseError, "chunk longer than its size");
  assert.throws(() => parseAll(`${head}${"1".repeat(5000)}`), HttpParseError, "chunk line past 4096 bytes without CRLF");
  assert.throws(() => parseAll(`${head}0\r\n${"X-T: y\r\n".repeat(3000)}`), HttpParseError, "trailers past the head limit");
});

test("a head larger than the limit is refused once the limit is passed, without waiting for its end", () => {
  const parser = new ResponseParser(limits);
  assert.equal(parser.push(Buffer.from(`HTTP/1.1 200 OK\r\nX-A: ${"a".repeat(8000)}\r\n`)), undefined);
  assert.throws(() => parser.push(Buffer.from(`X-B: ${"b".repeat(9000)}`)), HttpParseError);
  assert.throws(() => parseAll(`HTTP/1.1 200 OK\r\nX-A: ${"a".repeat(17000)}\r\n\r\n`), /larger than 16384 bytes/, "complete but too large");
});

test("the body cap: a declared length, a chunk size or streamed bytes past maxBodyBytes stop the read", () => {
  assert.throws(() => parseAll("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n"), BodyTooLargeError, "declared, before any body byte");
  assert.throws(() => parseAll("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n"), BodyTooLargeError, "one chunk of 1025");
  assert.throws(() => parseAll(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n${"a".repeat(512)}\r\n201\r\n`), BodyTooLargeError, "two chunks");
  const parser = new ResponseParser(limits);
  parser.push(Buffer.from("HTTP/1.1 200 OK\r\n\r\n"));
  parser.push(Buffer.alloc(1000));
  assert.throws(() => parser.push(Buffer.alloc(25)), BodyTooLargeError, "close-delimited");
});

test("an answer cut short is a reset (socket hang up), not a short body", () => {
  const parser = new ResponseParser(limits);
  assert.equal(parser.started, false);
  parser.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  assert.equal(parser.started, true);
  assert.throws(
    () => parser.end(),
    (e: unknown) => (e as { code?: string }).code === "ECONNRESET" && /socket hang up/.test((e as Error).message),
  );
  assert.throws(
    () => new ResponseParser(limits).end(),
    (e: unknown) => (e as { code?: string }).code === "ECONNRESET",
    "nothing at all",
  );
});
