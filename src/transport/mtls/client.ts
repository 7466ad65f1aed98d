import type { Socket } from "node:net";
import { ConfigurationError } from "../../core/errors.js";
import type { Identity } from "../../identity/identity-init.js";
import { type HttpResponse, sendRequest } from "../http-request.js";
import { ConnectionPool } from "../http1/connection-pool.js";
import type { TokenTlsTransport } from "./aws-crt/token-tls-transport.js";

/** One bodiless request over mutual TLS with an identity's certificate and key. */
export interface MutualTlsRequest {
  url: URL;
  headers: Record<string, string>;
  /** Deadline of the whole exchange. */
  timeoutMs: number;
  /** The certificate, its chain and the key (its `tlsKey` chooses the backend). */
  identity: Identity;
  /** CA certificates (PEM) to trust instead of Node's bundled roots. */
  ca?: Buffer | undefined;
  rejectUnauthorized: boolean;
  /** SNI and the name checked in the server certificate (undefined for an IP address). */
  servername?: string | undefined;
  proxy?: URL | undefined;
  /** Called with each new TLS socket (Node backend): to count handshakes and resumed sessions. */
  onTlsSocket?: (socket: Socket) => void;
  /** Called when the status line arrived (Node backend): to tell an answer cut short from none. */
  onResponse?: () => void;
}

/**
 * Mutual TLS for a mechanism: picks the backend by the key's `tlsKey.kind` —
 * Node's `tls` for a key in this process (one connection pool, so a refresh
 * reuses the connection or resumes the TLS session), aws-crt for a key on a
 * token (loaded only then). Owned by one credential source and closed with it.
 */
export class MutualTlsClient {
  private pool: ConnectionPool | undefined;
  private token: TokenTlsTransport | undefined;

  async send(request: MutualTlsRequest): Promise<HttpResponse> {
    const key = await request.identity.tlsKey?.();
    if (key === undefined) {
      throw new ConfigurationError("privateKey", "Mutual TLS needs the private key in this process or on a token: pass privateKey.");
    }
    if (key.kind === "pkcs11") {
      this.token ??= new (await import("./aws-crt/token-tls-transport.js")).TokenTlsTransport();
      return this.token.send({
        url: request.url,
        identity: request.identity,
        headers: request.headers,
        timeoutMs: request.timeoutMs,
        ca: request.ca,
        rejectUnauthorized: request.rejectUnauthorized,
        servername: request.servername,
        proxy: request.proxy,
      });
    }
    this.pool ??= new ConnectionPool(2, 4);
    const { identity } = request;
    return sendRequest({
      url: request.url,
      method: "GET",
      headers: request.headers,
      timeoutMs: request.timeoutMs,
      pool: this.pool,
      ...(request.proxy ? { proxy: request.proxy } : {}),
      tls: {
        // The chain goes with the certificate so the service can link it to a registered intermediate CA.
        cert: [identity.certificate, ...identity.chain].map((certificate) => certificate.toString()).join(""),
        key: key.pem,
        ...(request.ca !== undefined ? { ca: request.ca } : {}),
        rejectUnauthorized: request.rejectUnauthorized,
        ...(request.servername !== undefined ? { servername: request.servername } : {}),
      },
      ...(request.onTlsSocket ? { onTlsSocket: request.onTlsSocket } : {}),
      ...(request.onResponse ? { onResponse: request.onResponse } : {}),
    });
  }

  /** Closes kept-alive connections and the token's TLS context. */
  close(): void {
    this.pool?.destroy();
    this.token?.close();
  }
}
