/**
 * The HTTP plumbing every emulator needs: listening on loopback over HTTP or
 * HTTPS, bounded body reading, abortable delays, and a `close()` that really
 * closes — including connections a fault left hanging, so a test never leaks
 * a socket that keeps Node's event loop alive.
 *
 * @module
 */

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

/** One request as an emulator saw it, for assertions in tests. */
export interface RecordedRequest {
  method: string;
  /** The request target as received: path and query string. */
  path: string;
  /** Headers as received (lower-case names). Only what the client sent; the emulator adds no secrets. */
  headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text. */
  body: string;
  /** The status answered, or 0 while unanswered (or when a fault reset or hung the connection). */
  status: number;
  /** The error type/code answered, if any. */
  errorType?: string;
}

/** Where and how an emulator listens. */
export interface ListenOptions {
  /** Default `127.0.0.1`: emulators stay on loopback unless told otherwise. */
  host?: string;
  /** Default 0: an ephemeral port, so parallel tests never collide. */
  port?: number;
  /** Serve HTTPS with this certificate chain and key (PEM) instead of HTTP. */
  tls?: { cert: string; key: string };
}

/** A listening server plus the means to shut it down completely. */
export interface EmulatorServer {
  /** `http(s)://host:port`, no trailing slash. */
  url: string;
  /** Aborted when `close()` starts; pending delays listen to it. */
  closing: AbortSignal;
  close(): Promise<void>;
}

/** Starts an HTTP(S) server for `handler` and resolves once it is listening. */
export async function startEmulatorServer(handler: (req: IncomingMessage, res: ServerResponse) => void, options: ListenOptions = {}): Promise<EmulatorServer> {
  const host = options.host ?? "127.0.0.1";
  // ML-DSA certificates are kilobytes each: a leaf and its chain in X-Amz-X509 and X-Amz-X509-Chain pass Node's 16 KiB default header limit.
  const limits = { maxHeaderSize: 64 * 1024 };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...limits }, handler)
    : createHttpServer(limits, handler);
  // Track raw sockets: a hung request must still be torn down by close().
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const controller = new AbortController();
  let closed: Promise<void> | undefined;

  return {
    url: `${options.tls ? "https" : "http"}://${urlHost}:${port}`,
    closing: controller.signal,
    close() {
      closed ??= new Promise<void>((resolve) => {
        controller.abort();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** A request body read with a size limit. */
export interface ReadBody {
  body: Buffer;
  /** True when the body exceeded the limit; `body` is then empty. */
  tooLarge: boolean;
}

/**
 * Reads the whole body, keeping at most `limit` bytes. An oversized body is
 * still drained (up to a hard cap) rather than cut off, so the client reads
 * our 413 instead of a connection reset in the middle of its upload.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  const drainCap = Math.max(limit * 16, 16 * 1024 * 1024);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > drainCap) req.destroy();
    });
    req.on("end", () => resolve(size > limit ? { body: Buffer.alloc(0), tooLarge: true } : { body: Buffer.concat(chunks), tooLarge: false }));
    req.on("error", reject);
    // A client that disconnects mid-upload gets neither 'end' nor always 'error'; settle anyway.
    req.on("close", () => {
      if (!req.complete) reject(new Error("Request aborted by the client"));
    });
  });
}

/** Waits `ms`, or less if `signal` aborts first (then it resolves too: the server is closing anyway). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** An RFC 9110 IMF-fixdate (`Sun, 22 Nov 2026 10:15:00 GMT`) for the `Date` header. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** A fresh, not yet answered {@link RecordedRequest} (the body is filled in once read). */
export function recordRequest(req: IncomingMessage): RecordedRequest {
  return { method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, body: "", status: 0 };
}

/** The first value of a header Node may have folded into an array. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Scripted faults, shared by the emulators: each queued fault applies to the
 * next `times` requests (default 1), in order.
 */
export class FaultQueue<F extends { times?: number }> {
  private readonly queue: { fault: F; remaining: number }[] = [];

  /** Queues a fault; `times` must be a positive integer. */
  push(fault: F): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new TypeError("fault.times must be a positive integer");
    this.queue.push({ fault: { ...fault }, remaining: times });
  }

  /** The fault for the request now arriving, if any. */
  next(): F | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.queue.shift();
    return head.fault;
  }

  clear(): void {
    this.queue.length = 0;
  }
}
