import type { Socket } from "node:net";

/**
 * Keep-alive for one credential source, as Node's `Agent({ keepAlive })`
 * gave it: idle connections by destination and TLS settings (a refresh
 * reuses one when the service kept it open), and the last TLS sessions (a
 * new connection resumes with an abbreviated handshake). Idle sockets do not
 * keep the process alive and leave the pool when the peer closes them or
 * sends anything unasked.
 */
export class ConnectionPool {
  private readonly idle = new Map<string, { socket: Socket; drop: () => void }[]>();
  private readonly sessions = new Map<string, Buffer>();
  private closed = false;

  constructor(
    private readonly maxIdlePerKey = 2,
    private readonly maxSessions = 4,
  ) {}

  /** An open idle connection for this key, taken out of the pool. */
  take(key: string): Socket | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const { socket, drop } = list.pop()!;
      // Only the pool's own listeners: Node's sockets keep internal ones for the same events.
      socket.off("data", drop).off("end", drop).off("error", drop).off("close", drop);
      if (!socket.destroyed && socket.readable && socket.writable) {
        socket.ref();
        return socket;
      }
      socket.destroy();
    }
    return undefined;
  }

  /** Puts a connection whose answer was read in full back, unless the pool is full or closed. */
  give(key: string, socket: Socket): void {
    const list = this.idle.get(key) ?? [];
    if (this.closed || list.length >= this.maxIdlePerKey || socket.destroyed) {
      socket.destroy();
      return;
    }
    const entry = {
      socket,
      drop: () => {
        const at = list.indexOf(entry);
        if (at >= 0) list.splice(at, 1);
        socket.destroy();
      },
    };
    const { drop } = entry;
    // Bytes on an idle connection were not asked for: the connection is no longer in step.
    socket.on("data", drop).on("end", drop).on("error", drop).on("close", drop);
    socket.unref();
    list.push(entry);
    this.idle.set(key, list);
  }

  /** The TLS session to resume for this key. */
  session(key: string): Buffer | undefined {
    return this.sessions.get(key);
  }

  /** Keeps a connection's TLS session (the most recent per key; the oldest keys go first). */
  keepSession(key: string, session: Buffer): void {
    this.sessions.delete(key);
    this.sessions.set(key, session);
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /** The idle connections (diagnostics and tests). */
  idleSockets(): Socket[] {
    return [...this.idle.values()].flatMap((list) => list.map(({ socket }) => socket));
  }

  /** Closes every idle connection; connections given back later are closed at once. */
  destroy(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const { socket } of list.splice(0)) socket.destroy();
    this.idle.clear();
    this.sessions.clear();
  }
}
