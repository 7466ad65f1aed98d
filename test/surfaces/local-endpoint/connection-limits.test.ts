/**
 * At its connection limit the server makes room for a newcomer by closing
 * the connection idle the longest — never one with a request in progress —
 * instead of refusing the newcomer; an old connection is closed after its
 * answer.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { AUTHORIZATION_TOKEN, CREDENTIALS, type InProcessServer, rawExchange, startInProcessServer } from "./in-process-server.js";

const LIMIT = 20;

/** A connection to the server, open once the server has accepted it, with whether it has been closed since. */
interface Held {
  socket: Socket;
  closed: boolean;
  received: string;
}

/** Opens a connection and sends `first`; resolves once the server has accepted it (counted it), or answered it when `answered`. */
async function hold(endpoint: InProcessServer, first?: string, answered = false): Promise<Held> {
  const before = await connections(endpoint);
  const held: Held = { socket: connect(endpoint.port, "127.0.0.1"), closed: false, received: "" };
  held.socket.on("data", (chunk: Buffer) => {
    held.received += chunk.toString("latin1");
  });
  held.socket.on("error", () => {});
  held.socket.on("close", () => {
    held.closed = true;
  });
  await new Promise((resolve) => held.socket.once("connect", resolve));
  if (first !== undefined) held.socket.write(first);
  // Accepted by the server (so that the order of arrival is the order of connecting).
  const done = async () => held.closed || (answered ? held.received.includes("\r\n\r\n") : (await connections(endpoint)) > before);
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 2));
  return held;
}

function connections(endpoint: InProcessServer): Promise<number> {
  return new Promise((resolve, reject) => endpoint.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

test("at the limit, a newcomer closes the connection idle the longest: never sent a byte, half a request, or kept alive since its answer", async () => {
  const endpoint = await startInProcessServer({ connectionLimits: { maxConnections: LIMIT, maxLifetimeMs: 60_000 } });
  const held: Held[] = [];
  try {
    // In order of idleness: a kept-alive connection answered first, then one sending half a request, then idle ones.
    held.push(await hold(endpoint, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", true));
    held.push(await hold(endpoint, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    while (held.length < LIMIT) held.push(await hold(endpoint));
    assert.equal(await connections(endpoint), LIMIT);

    // Newcomers stay connected (kept alive), so that each arrives at the limit.
    const newcomers: Held[] = [];
    for (let i = 0; i < 5; i++) {
      const newcomer = await hold(endpoint, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", true);
      newcomers.push(newcomer);
      held.push(newcomer);
      await settle();
      assert.match(newcomer.received, /^HTTP\/1\.1 200 /, `newcomer ${i} is answered at the limit`);
      assert.equal(newcomer.closed, false);
      assert.deepEqual(
        held.slice(0, LIMIT).map((h) => h.closed),
        held.slice(0, LIMIT).map((_, j) => j <= i),
        `newcomer ${i} closed the ${i + 1} connections idle the longest, in order`,
      );
    }
    assert.equal(await connections(endpoint), LIMIT);
    assert.ok(newcomers.every((h) => !h.closed));
  } finally {
    for (const h of held) h.socket.destroy();
    await endpoint.close();
  }
});

test("a connection with a request in progress is never closed for a newcomer; with all of them busy, the newcomer is", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const endpoint = await startInProcessServer({
    connectionLimits: { maxConnections: LIMIT, maxLifetimeMs: 60_000 },
    supplier: {
      getCredentials: async () => {
        await released;
        return { ...CREDENTIALS, expiration: new Date(Date.now() + 3_600_000) };
      },
      expiration: new Date(Date.now() + 3_600_000),
    },
  });
  const held: Held[] = [];
  try {
    const waiting = `GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTHORIZATION_TOKEN}\r\nConnection: close\r\n\r\n`;
    while (held.length < LIMIT) held.push(await hold(endpoint, waiting));
    await settle();
    const refused = await rawExchange(endpoint.port, healthz);
    assert.equal(refused.status, 0, "every connection is busy: the newcomer is closed");
    await settle();
    assert.ok(
      held.every((h) => !h.closed),
      "no busy connection was closed",
    );
    release();
    while (held.some((h) => !h.closed)) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const h of held) assert.match(h.received, /^HTTP\/1\.1 200 /, "each waiting request got its credentials");
    assert.equal((await rawExchange(endpoint.port, healthz)).status, 200, "room again once they are answered");
  } finally {
    release();
    for (const h of held) h.socket.destroy();
    await endpoint.close();
  }
});

test("a connection older than its lifetime is closed after its answer; a younger one is kept alive", async () => {
  const endpoint = await startInProcessServer({ connectionLimits: { maxConnections: LIMIT, maxLifetimeMs: 300 } });
  try {
    const held = await hold(endpoint);
    const ask = () => held.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ask();
    await settle();
    assert.match(held.received, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(held.received, /Connection: close/i);
    assert.equal(held.closed, false, "kept alive while young");
    await new Promise((resolve) => setTimeout(resolve, 350));
    ask();
    const started = Date.now();
    while (!held.closed && Date.now() - started < 2_000) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(held.received.match(/HTTP\/1\.1 200 /g)?.length, 2, "the old connection's request was answered");
    assert.match(held.received.slice(held.received.lastIndexOf("HTTP/1.1")), /\r\nConnection: close\r\n/i);
    assert.equal(held.closed, true, "then closed");
    // A keep-alive client simply reconnects.
    const status = await new Promise<number>((resolve, reject) => {
      request(`http://127.0.0.1:${endpoint.port}/healthz`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    assert.equal(status, 200);
  } finally {
    await endpoint.close();
  }
});
