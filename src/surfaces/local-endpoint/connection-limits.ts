import { readFileSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Connections held at once; a new one beyond closes the connection idle the longest. */
  maxConnections: number;
  /** A connection older than this is closed after its current answer. */
  maxLifetimeMs: number;
}

/** Past this, memory (about 10 KiB a connection in Node) matters more than room for one more. */
const MOST_CONNECTIONS = 16_384;
/** Descriptors kept for everything else: standard streams, upstream connections, files. */
const RESERVED_DESCRIPTORS = 256;

/** The soft limit on open files (Node raises it to the hard limit at start), where the system tells it. */
function openFileLimit(): number | undefined {
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    return limit === undefined ? undefined : Number(limit);
  } catch {
    return undefined;
  }
}

/**
 * Room for all that a flood of local connections holds (ten thousand and more), while descriptors
 * remain for the rest: running out of them would refuse newcomers just as a full table does. A
 * connection lives at most a minute.
 */
export function defaultConnectionLimits(): ConnectionLimits {
  const files = openFileLimit() ?? 4_096;
  return { maxConnections: Math.max(64, Math.min(MOST_CONNECTIONS, files - RESERVED_DESCRIPTORS)), maxLifetimeMs: 60_000 };
}

/**
 * Bounds the connections of an HTTP server so that connections nobody uses —
 * idle, half-sent requests, kept-alive ones — cannot keep out the clients
 * that come to ask. At the limit a new connection closes the one idle the
 * longest (no request in progress: never sent one, sending one slowly, or
 * between two); with every connection busy answering, the new one is closed
 * instead. Node's own `maxConnections` would refuse the newcomer, which is
 * what lets a flood starve everyone. Timeouts still end what idles with
 * room to spare (headersTimeout, keepAliveTimeout).
 */
export function limitConnections(server: Server, limits: ConnectionLimits = defaultConnectionLimits()): void {
  // Without a request in progress, in the order they became idle (a Set keeps insertion order).
  const idle = new Set<Socket>();
  // Requests in progress on each busy connection (pipelined requests overlap).
  const busy = new Map<Socket, number>();
  const openedAt = new WeakMap<Socket, number>();

  server.on("connection", (socket: Socket) => {
    if (idle.size + busy.size >= limits.maxConnections) {
      const oldest = idle.values().next();
      if (oldest.done) {
        socket.destroy();
        return;
      }
      idle.delete(oldest.value);
      oldest.value.destroy();
    }
    openedAt.set(socket, Date.now());
    idle.add(socket);
    socket.once("close", () => {
      idle.delete(socket);
      busy.delete(socket);
    });
  });

  // Before the request handler, which may answer at once: the Connection header must be set first.
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (socket.destroyed) return;
    idle.delete(socket);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    // Keep-alive clients reconnect on "Connection: close" without a failure; the connection's slot and state are renewed.
    if (Date.now() - (openedAt.get(socket) ?? 0) > limits.maxLifetimeMs) res.setHeader("Connection", "close");
    res.once("close", () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) busy.set(socket, left);
      else {
        busy.delete(socket);
        if (!socket.destroyed) idle.add(socket);
      }
    });
  });
}
