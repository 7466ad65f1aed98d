import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { sha256Hex } from "../../core/node-builtins.js";
import { nodeHttp } from "../node-http.js";
import type { ConnectionPool } from "./connection-pool.js";
import { closedBeforeAnswer, type ParsedResponse, ResponseParser } from "./response-parser.js";

/** What one exchange on a direct connection needs (a subset of HttpRequest, resolved). */
export interface DirectExchange {
  url: URL;
  method: string;
  /** Header names and values as sent; Host and Content-Length are the caller's too. */
  headers: Record<string, string>;
  body?: string | undefined;
  secure: boolean;
  host: string;
  port: number;
  /** TLS options for `tls.connect` (trust, client certificate, SNI). */
  tls: Record<string, unknown>;
  maxResponseBytes: number;
  pool?: ConnectionPool | undefined;
  lookup?: unknown;
  onTlsSocket?: ((socket: Socket) => void) | undefined;
  onResponse?: (() => void) | undefined;
}

/** Node's default (`--max-http-header-size`). */
const MAX_HEAD_BYTES = 16 * 1024;

/** Node's own rules for header names and values (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_INVALID = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * One HTTP/1.1 request on a direct TCP or TLS connection, answer read with
 * {@link ResponseParser}. Node's HTTP client would do the same exchange, but
 * loading and first running `node:https` (its agent, client, parser glue and
 * streams) is about a tenth of the instructions a fresh process spends to its
 * first credentials (docs/performance.md, "Cold start"); certcreds sends a
 * request or two an hour to one host. A kept-alive connection from the pool
 * is used when there is one; one that fails before answering is a reset,
 * as with Node's agent, and the caller's retries (with their backoff) decide.
 *
 * Resolves with the answer, or rejects with the socket's or the parser's
 * error for the caller to classify; past `deadline.ms` the connection is
 * destroyed and the exchange rejects with `deadline.error()`.
 */
export function exchangeDirect(request: DirectExchange, deadline: Deadline): Promise<ParsedResponse> {
  const head = requestHead(request);
  const key = request.pool ? connectionKey(request) : "";
  return once(request, head, key, request.pool?.take(key), deadline);
}

/** How long an exchange may take, connection to last byte, and the error it ends with then. */
export interface Deadline {
  ms: number;
  error: () => Error;
}

function once(request: DirectExchange, head: string, key: string, reused: Socket | undefined, deadline: Deadline): Promise<ParsedResponse> {
  return new Promise<ParsedResponse>((resolve, reject) => {
    const socket = reused ?? connect(request, key);
    const parser = new ResponseParser({
      maxHeadBytes: MAX_HEAD_BYTES,
      maxBodyBytes: request.maxResponseBytes,
      method: request.method,
      onHead: request.onResponse,
    });
    let settled = false;
    const detach = () => {
      socket.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      clearTimeout(timer);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      detach();
      // What the socket still reports as it goes (a TLS error after the peer's end) has no one left to tell.
      socket.on("error", ignore);
      socket.destroy();
      reject(error);
    };
    const done = (response: ParsedResponse) => {
      if (settled) return;
      settled = true;
      detach();
      if (request.pool && response.reusable) request.pool.give(key, socket);
      else socket.on("error", ignore).destroy();
      resolve(response);
    };
    const onData = (chunk: Buffer) => {
      try {
        const response = parser.push(chunk);
        if (response) done(response);
      } catch (error) {
        fail(error);
      }
    };
    const onEnd = () => {
      try {
        done(parser.end());
      } catch (error) {
        fail(error);
      }
    };
    const onError = (error: Error) => fail(error);
    const onClose = () => fail(closedBeforeAnswer());
    socket.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
    // A plain timer rather than an AbortSignal: its EventTarget machinery is code a fresh process would compile.
    const timer = setTimeout(() => fail(deadline.error()), deadline.ms);
    // Headers are latin1 (as Node writes them), the body UTF-8; one write, one TLS record for a small request.
    // A TLS socket queues what is written before its handshake completes, a TCP socket before it connects.
    const headBytes = Buffer.from(head, "latin1");
    socket.write(request.body !== undefined ? Buffer.concat([headBytes, Buffer.from(request.body, "utf8")]) : headBytes);
  });
}

/** A new connection; TLS ones resume the pool's last session for the key, and report themselves once secure. */
function connect(request: DirectExchange, key: string): Socket {
  const { net, tls } = nodeHttp();
  const target = { host: request.host, port: request.port, ...(request.lookup ? { lookup: request.lookup as never } : {}) };
  // No Nagle delay, as Node's HTTP agent: a request written right after the TLS Finished must not wait for an ACK.
  if (!request.secure) return net.connect(target).setNoDelay(true);
  const session = request.pool?.session(key);
  const socket: TLSSocket = tls.connect({ ...target, ...request.tls, ...(session ? { session } : {}) });
  socket.setNoDelay(true);
  if (request.pool) socket.on("session", (ticket: Buffer) => request.pool?.keepSession(key, ticket));
  if (request.onTlsSocket) socket.once("secureConnect", () => request.onTlsSocket?.(socket));
  return socket;
}

/**
 * The request line and headers; Host from the URL unless given (a signed request signs its own). Every name
 * and value is checked as Node's HTTP client checks them: no header injection.
 */
function requestHead(request: DirectExchange): string {
  let head = `${request.method} ${request.url.pathname}${request.url.search} HTTP/1.1\r\n`;
  if (!Object.keys(request.headers).some((name) => name.toLowerCase() === "host")) head += `Host: ${request.url.host}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HEADER_NAME.test(name)) throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), { code: "ERR_INVALID_HTTP_TOKEN" });
    if (HEADER_VALUE_INVALID.test(value)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: "ERR_INVALID_CHAR" });
    head += `${name}: ${value}\r\n`;
  }
  if (!request.pool) head += "Connection: close\r\n";
  return `${head}\r\n`;
}

/**
 * The pool's key: destination and every TLS setting that decides what a
 * connection proves (trust, client certificate and key, SNI), so a renewed
 * certificate or a new CA bundle never rides an old connection. Hashed, so
 * no key material is kept as a map key.
 */
function connectionKey(request: DirectExchange): string {
  let settings = "";
  for (const name of TLS_KEY_SETTINGS) {
    const value = request.tls[name];
    settings += `${name}=`;
    for (const part of Array.isArray(value) ? value : [value])
      settings += `${part === undefined ? "-" : Buffer.isBuffer(part) ? part.toString("latin1") : String(part)};`;
  }
  return `${request.secure ? "tls" : "tcp"}:${request.host}:${request.port}:${sha256Hex(settings)}`;
}

const TLS_KEY_SETTINGS = ["ca", "cert", "key", "servername", "rejectUnauthorized", "minVersion", "maxVersion"];

function ignore(): void {}
