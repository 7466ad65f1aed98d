/**
 * The emulator's HTTPS server: it asks for a client certificate, judges it
 * itself (a certificate registered without its CA is known too), counts
 * handshakes, and drops a connection with an unknown certificate the way
 * Node's TLS server does — or lets it through to be refused with a 403.
 *
 * @module
 */

import type { RequestListener } from "node:http";
import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { certificateId } from "./account.js";
import type { ConnectionState } from "./authorize.js";
import type { IotCredentialEmulatorOptions, IotHandshakeCounts } from "./options.js";

export interface MutualTlsServer {
  server: Server;
  /** Every open connection, to destroy on close. */
  sockets: Set<Socket>;
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

  const server: Server = createServer(
    {
      cert: options.serverCertificate.cert,
      key: options.serverCertificate.key,
      // Ask for a certificate but decide ourselves: a certificate registered without its CA is known too.
      requestCert: true,
      rejectUnauthorized: false,
      ca: options.registeredCas ?? [],
      minVersion: "TLSv1.2",
    },
    onRequest,
  );
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // Before the HTTP layer's own listener: a refused connection must never reach the request handler.
  server.prependListener("secureConnection", (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
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
    }
  });
  // Clients that give up during the handshake are not our concern.
  server.on("tlsClientError", () => {});

  return {
    server,
    sockets,
    connectionOf: (socket) => connections.get(socket) ?? { clientCertificateId: undefined, known: false, resumed: false },
  };
}
