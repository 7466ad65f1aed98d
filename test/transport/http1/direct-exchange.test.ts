import assert from "node:assert/strict";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { after, before, test } from "node:test";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { NetworkError } from "../../../src/core/errors.js";
import { sendRequest } from "../../../src/transport/http-request.js";
import { ConnectionPool } from "../../../src/transport/http1/connection-pool.js";
import { createTestCertificateAuthority } from "../../../testing/index.js";

type Ca = Awaited<ReturnType<typeof createTestCertificateAuthority>>;
let ca: Ca;
let serverTls: { cert: string; key: string };
let clientA: { cert: string; key: string };
let clientB: { cert: string; key: string };

before(async () => {
  ca = await createTestCertificateAuthority({ commonName: "http1 test CA" });
  const server = await ca.issue({ commonName: "localhost", ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  serverTls = { cert: server.certificatePem, key: server.privateKeyPem! };
  const a = await ca.issue({ commonName: "client-a", extendedKeyUsage: ["clientAuth"] });
  const b = await ca.issue({ commonName: "client-b", extendedKeyUsage: ["clientAuth"] });
  clientA = { cert: a.certificatePem, key: a.privateKeyPem! };
  clientB = { cert: b.certificatePem, key: b.privateKeyPem! };
});

const servers: { close(): void }[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** A Node HTTPS server that records each TLS connection, its client certificate and each request's head. */
async function httpsServer(options: { requestCert?: boolean; keepAliveTimeout?: number } = {}) {
  const seen = { connections: 0, clients: [] as string[], requests: [] as { method: string; url: string; host: string | undefined; body: string }[] };
  const server: HttpsServer = createHttpsServer(
    { ...serverTls, ca: ca.certificatePem, requestCert: options.requestCert ?? false, rejectUnauthorized: false },
    (req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.requests.push({ method: req.method!, url: req.url!, host: req.headers.host, body });
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ n: seen.requests.length }));
      });
    },
  );
  server.on("secureConnection", (socket: TLSSocket) => {
    seen.connections++;
    const peer = socket.getPeerCertificate();
    seen.clients.push(peer && "subject" in peer && peer.subject ? String(peer.subject.CN) : "-");
  });
  server.keepAliveTimeout = options.keepAliveTimeout ?? 5000;
  // Node 24 adds a second to the idle timeout by default; the tests say exactly when the server hangs up.
  Object.assign(server, { keepAliveTimeoutBuffer: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** A TLS server that answers each connection with `answer(socket)`: hostile bytes, or nothing. */
async function rawTlsServer(answer: (socket: TLSSocket) => void) {
  const server: TlsServer = createTlsServer(serverTls, answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const tls = () => ({ ca: ca.certificatePem, rejectUnauthorized: true });

test("keep-alive: two exchanges on one pool share one TLS connection; Host comes from the URL", async () => {
  const { url, seen } = await httpsServer();
  const pool = new ConnectionPool();
  try {
    for (const n of [1, 2]) {
      const answer = await sendRequest({
        url: new URL("/x?y=1", url),
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
        timeoutMs: 5000,
        tls: tls(),
        pool,
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body.toString()), { n });
      assert.equal(answer.headers["content-type"], "application/json");
    }
    assert.equal(seen.connections, 1);
    assert.deepEqual(seen.requests[0], { method: "POST", url: "/x?y=1", host: new URL(url).host, body: "{}" });
  } finally {
    pool.destroy();
  }
});

test("without a pool each exchange has its own connection, closed after the answer", async () => {
  const { url, seen } = await httpsServer();
  for (let i = 0; i < 2; i++) await sendRequest({ url: new URL("/", url), method: "GET", headers: {}, timeoutMs: 5000, tls: tls() });
  assert.equal(seen.connections, 2);
});

test("the server closes an idle connection: the next exchange opens a new one and resumes the TLS session", async () => {
  const { url, seen } = await httpsServer({ keepAliveTimeout: 50 });
  const pool = new ConnectionPool();
  const sockets: TLSSocket[] = [];
  try {
    const send = () =>
      sendRequest({
        url: new URL("/", url),
        method: "GET",
        headers: {},
        timeoutMs: 5000,
        tls: tls(),
        pool,
        onTlsSocket: (s: Socket) => sockets.push(s as TLSSocket),
      });
    await send();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await send()).status, 200);
    assert.equal(seen.connections, 2);
    assert.equal(sockets.length, 2, "each new TLS connection is reported once");
    assert.equal(sockets[1]!.isSessionReused(), true, "the second handshake was abbreviated");
  } finally {
    pool.destroy();
  }
});

test("a kept-alive connection that dies before answering is a plain reset (the caller's retries decide); the next exchange connects anew", async () => {
  let connections = 0;
  const url = await rawTlsServer((socket) => {
    connections++;
    let first = true;
    socket.on("error", () => {});
    socket.on("data", () => {
      // The first connection answers its first request, then drops the second one unanswered.
      if (connections === 1 && first) {
        first = false;
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
      } else if (connections === 1) socket.destroy();
      else socket.end("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond");
    });
  });
  const pool = new ConnectionPool();
  const send = () => sendRequest({ url: new URL("/", url), method: "GET", headers: {}, timeoutMs: 5000, tls: tls(), pool });
  try {
    assert.equal((await send()).body.toString(), "first");
    await assert.rejects(send(), (e: unknown) => e instanceof NetworkError && e.kind === "reset" && e.retryable);
    assert.equal((await send()).body.toString(), "second");
    assert.equal(connections, 2);
  } finally {
    pool.destroy();
  }
});

test("a renewed client certificate never rides the connection made with the old one", async () => {
  const { url, seen } = await httpsServer({ requestCert: true });
  const pool = new ConnectionPool();
  try {
    await sendRequest({ url: new URL("/", url), method: "GET", headers: {}, timeoutMs: 5000, tls: { ...tls(), ...clientA }, pool });
    await sendRequest({ url: new URL("/", url), method: "GET", headers: {}, timeoutMs: 5000, tls: { ...tls(), ...clientB }, pool });
    await sendRequest({ url: new URL("/", url), method: "GET", headers: {}, timeoutMs: 5000, tls: { ...tls(), ...clientB }, pool });
    assert.deepEqual(seen.clients, ["client-a", "client-b"], "a new connection for B, then B's reused");
  } finally {
    pool.destroy();
  }
});

test("header injection is refused before anything is sent (as Node's client refuses it)", async () => {
  const { url, seen } = await httpsServer();
  await assert.rejects(
    sendRequest({ url: new URL("/", url), method: "GET", headers: { "x-amzn-iot-thingname": "thing\r\nX-Injected: 1" }, timeoutMs: 5000, tls: tls() }),
    /Invalid character in header content/,
  );
  await assert.rejects(sendRequest({ url: new URL("/", url), method: "GET", headers: { "Bad Name": "1" }, timeoutMs: 5000, tls: tls() }), /valid HTTP token/);
  assert.equal(seen.connections, 0);
});

test("hostile servers: endless headers, a body past the cap, silence — typed errors within bounds", async () => {
  const endless = await rawTlsServer((socket) => {
    socket.write("HTTP/1.1 200 OK\r\n");
    const timer = setInterval(() => socket.write(`X-Pad: ${"a".repeat(1000)}\r\n`), 1);
    socket.on("close", () => clearInterval(timer));
    socket.on("error", () => clearInterval(timer));
  });
  await assert.rejects(
    sendRequest({ url: new URL("/", endless), method: "GET", headers: {}, timeoutMs: 5000, tls: tls() }),
    (e: unknown) => e instanceof NetworkError && /headers are larger than 16384 bytes/.test(e.message),
  );
  const big = await rawTlsServer((socket) => {
    socket.on("data", () => socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"400\r\n".concat("a".repeat(1024), "\r\n").repeat(5)}`));
    socket.on("error", () => {});
  });
  await assert.rejects(
    sendRequest({ url: new URL("/", big), method: "GET", headers: {}, timeoutMs: 5000, tls: tls(), maxResponseBytes: 4096 }),
    (e: unknown) => e instanceof NetworkError && e.kind === "body-too-large" && /larger than 4096 bytes/.test(e.message),
  );
  const silent = await rawTlsServer((socket) => socket.on("error", () => {}));
  await assert.rejects(
    sendRequest({ url: new URL("/", silent), method: "GET", headers: {}, timeoutMs: 200, tls: tls() }),
    (e: unknown) => e instanceof NetworkError && e.kind === "timeout",
  );
  const garbage = await rawTlsServer((socket) => socket.on("data", () => socket.end("SSH-2.0-OpenSSH_9.6\r\n\r\n")));
  await assert.rejects(
    sendRequest({ url: new URL("/", garbage), method: "GET", headers: {}, timeoutMs: 5000, tls: tls() }),
    (e: unknown) => e instanceof NetworkError && /not start with an HTTP\/1.1 status line/.test(e.message),
  );
});
