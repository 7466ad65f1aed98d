/**
 * The emulator's HTTPS server: it asks for a client certificate, judges it
 * itself (a certificate registered without its CA is known too), counts
 * handshakes, and drops a connection with an unknown certificate the way
 * Node's TLS server does — or lets it through to be refused with a 403.
 *
 * A TLS server hands its connections to an HTTP server that never listens:
 * Bun's HTTPS server shows no client certificate to its handlers (its
 * `getPeerCertificate()` is empty), its TLS server does, and so does Node's.
 *
 * @module
 */

import { createServer as createHttpServer, type RequestListener } from "node:http";
import type { Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { certificateId } from "./account.js";
import type { ConnectionState } from "./authorize.js";
import type { IotCredentialEmulatorOptions, IotHandshakeCounts } from "./options.js";

export interface MutualTlsServer {
  /** What listens: TLS handshakes, session resumption, the client certificate. */
  server: TlsServer;
  /** Every open connection, to destroy on close. */
  sockets: Set<Socket>;
  /** Closes the connections with no request in progress (a server ending idle keep-alive connections). */
  closeIdleConnections(): void;
  /** What the handshake of the request's connection told about its client certificate. */
  connectionOf(socket: Socket): ConnectionState;
}

export function createMutualTlsServer(
  options: IotCredentialEmulatorOptions,
  registeredCertificates: ReadonlySet<string>,
  handshakes: IotHandshakeCounts,
  onRequest: RequestListener,
): MutualTlsServer {
  const unknownMode = options.unknownCertificates ?? "drop-connection";
  const connections = new WeakMap<Socket, ConnectionState>();
  const sockets = new Set<Socket>();

  // Requests in progress per connection: the HTTP server's own idle tracking only sees connections it accepted itself.
  const inProgress = new Map<Socket, number>();
  const http = createHttpServer((req, res) => {
    const socket = req.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    res.once("close", () => inProgress.set(socket, (inProgress.get(socket) ?? 1) - 1));
    onRequest(req, res);
  });
  if (options.keepAliveTimeoutMs !== undefined) http.keepAliveTimeout = options.keepAliveTimeoutMs;
  const server = createTlsServer({
    cert: options.serverCertificate.cert,
    key: options.serverCertificate.key,
    // Ask for a certificate but decide ourselves: a certificate registered without its CA is known too.
    requestCert: true,
    rejectUnauthorized: false,
    ca: options.registeredCas ?? [],
    minVersion: "TLSv1.2",
    // What an HTTPS server offers; clients that send ALPN expect an answer.
    ALPNProtocols: ["http/1.1"],
  });

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // A refused connection never reaches the HTTP server, so never the request handler.
  server.on("secureConnection", (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      inProgress.delete(socket);
    });
    const resumed = socket.isSessionReused();
    handshakes.total += 1;
    if (resumed) handshakes.resumed += 1;
    const peer = socket.getPeerCertificate();
    const id = peer?.raw ? certificateId(peer.raw) : undefined;
    const known = id !== undefined && (socket.authorized || registeredCertificates.has(id));
    connections.set(socket, { clientCertificateId: id, known, resumed });
    if (!known && unknownMode === "drop-connection") {
      // What Node's TLS server does for a client certificate it refuses: close, without an HTTP answer.
      handshakes.refused += 1;
      socket.destroy();
      return;
    }
    http.emit("connection", socket);
  });
  // Clients that give up during the handshake are not our concern.
  server.on("tlsClientError", () => {});

  return {
    server,
    sockets,
    closeIdleConnections() {
      for (const [socket, requests] of inProgress) if (requests === 0) socket.destroy();
    },
    connectionOf: (socket) => connections.get(socket) ?? { clientCertificateId: undefined, known: false, resumed: false },
  };
}
