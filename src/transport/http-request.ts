import type { IncomingHttpHeaders } from "node:http";
import type { LookupFunction, Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { NetworkError } from "../core/errors.js";
import type { ConnectionPool } from "./http1/connection-pool.js";
import { exchangeDirect } from "./http1/direct-exchange.js";
import { BodyTooLargeError, closedBeforeAnswer } from "./http1/response-parser.js";
import { nodeHttp } from "./node-http.js";
import { openTunnel, redactUserInfo } from "./proxy.js";

/** TLS settings of a request: trust (`ca`), and a client certificate for mutual TLS. */
export type TlsSettings = Pick<ConnectionOptions, "ca" | "rejectUnauthorized" | "cert" | "key" | "servername" | "minVersion" | "maxVersion" | "session">;

/** One HTTP exchange. */
export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Deadline for the whole exchange, connection to last byte. */
  timeoutMs: number;
  /** Answers larger than this are cut off with an error (default 1 MiB). */
  maxResponseBytes?: number;
  tls?: TlsSettings;
  /** Resolved proxy (see `resolveProxy`). */
  proxy?: URL;
  /** Keep-alive for direct connections (without it, each exchange has its own connection). */
  pool?: ConnectionPool;
  /** Host name resolution (default: the system's); tests use it to make DNS fail without the network. */
  lookup?: LookupFunction;
  /** Called with each new TLS socket (to count handshakes, keep sessions). */
  onTlsSocket?: (socket: Socket) => void;
  /** Called when the answer's status line and headers arrived, before its body (to tell a cut-off answer from none). */
  onResponse?: () => void;
}

/** An HTTP answer, body read in full. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const SERVER_UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Turns a socket-level failure into a NetworkError that says which side failed. */
export function classifyNetworkError(cause: unknown, url: URL): NetworkError {
  if (cause instanceof NetworkError) return cause;
  const error = cause as NodeJS.ErrnoException;
  const code = error.code ?? "";
  const host = url.host;
  if (SERVER_UNTRUSTED.has(code)) {
    return new NetworkError(
      "tls-server-untrusted",
      `The server certificate of ${host} is not trusted (${code}: ${error.message}). Pass the CA that issued it (ca / caBundle / --ca-cert), or check the endpoint name.`,
      { cause },
    );
  }
  if (
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|ACCESS_DENIED|HANDSHAKE_FAILURE)/.test(
      code,
    )
  ) {
    return new NetworkError(
      "tls-client-refused",
      `${host} refused the client certificate during the TLS handshake (${code}). The certificate is not registered or not active for this endpoint, or its CA is not registered: check it in the AWS console for this account and region.`,
      { cause },
    );
  }
  if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || code === "EPROTO") {
    return new NetworkError("tls", `The TLS handshake with ${host} failed (${code}: ${error.message}).`, { cause });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new NetworkError("dns", `The host name ${url.hostname} does not resolve (${code}). Check the endpoint and region, and this machine's DNS.`, {
      cause,
    });
  }
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ETIMEDOUT") {
    return new NetworkError("connect", `Could not connect to ${host} (${code}). Check the endpoint, the network and any proxy.`, { cause });
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE" || /socket hang up/i.test(error.message ?? "")) {
    return new NetworkError("reset", `The connection to ${host} was closed before a full answer (${code || error.message}).`, { cause });
  }
  return new NetworkError("connect", `Request to ${host} failed: ${error.message ?? String(cause)}.`, { cause });
}

/**
 * Sends one request and reads the whole answer, within a deadline and a size
 * cap: on a direct connection with certcreds' own HTTP/1.1 exchange
 * (src/transport/http1/), through a proxy with Node's HTTP client.
 */
export async function sendRequest(req: HttpRequest): Promise<HttpResponse> {
  const maxBytes = req.maxResponseBytes ?? 1024 * 1024;
  const secure = req.url.protocol === "https:";
  const host = req.url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(req.url.port || (secure ? 443 : 80));
  const proxy = req.proxy;
  if (!proxy) return sendDirect(req, secure, host, port, maxBytes);
  const node = nodeHttp();

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(classifyNetworkError(error, req.url));
      else resolve(response!);
    };

    const options: Record<string, unknown> = {
      method: req.method,
      host,
      port,
      path: `${req.url.pathname}${req.url.search}`,
      headers: { ...req.headers, ...(req.body !== undefined ? { "Content-Length": String(Buffer.byteLength(req.body)) } : {}) },
    };
    if (req.lookup) options.lookup = req.lookup;
    // Through a proxy it is plain HTTP to the proxy, with TLS to the target inside the CONNECT tunnel for HTTPS.
    const send = node.http.request;
    if (secure) {
      // HTTPS through a proxy: CONNECT tunnel, then TLS to the target over it.
      options.createConnection = (_: unknown, done: (error: Error | null, socket?: Socket) => void) => {
        openTunnel(proxy, host, port, req.timeoutMs).then(
          (raw) => {
            const tlsSocket = node.tls.connect({ ...req.tls, socket: raw, servername: req.tls?.servername ?? (isIp(host) ? undefined : host) });
            req.onTlsSocket?.(tlsSocket);
            tlsSocket.once("secureConnect", () => done(null, tlsSocket));
            tlsSocket.once("error", (error) => finish(error));
          },
          (error) => finish(error),
        );
        return undefined;
      };
    } else {
      options.host = proxy.hostname.replace(/^\[|\]$/g, "");
      options.port = Number(proxy.port || 80);
      options.path = req.url.href;
      (options.headers as Record<string, string>).Host = req.url.host;
    }

    const timer = setTimeout(() => {
      const via = ` via ${redactUserInfo(proxy.href)}`;
      const error = new NetworkError(
        "timeout",
        `No complete answer from ${req.url.host}${via} within ${req.timeoutMs} ms. Check the endpoint and network, or raise timeoutMs.`,
      );
      clientRequest.destroy(error);
      finish(error);
    }, req.timeoutMs);

    const clientRequest = send(options, (res) => {
      req.onResponse?.();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          const error = bodyTooLarge(req.url, maxBytes);
          finish(error);
          res.destroy(error);
          return;
        }
        chunks.push(chunk);
      });
      res.once("end", () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once("error", (error) => finish(error));
      res.once("aborted", () => finish(closedBeforeAnswer()));
    });
    clientRequest.once("error", (error) => finish(error));
    clientRequest.end(req.body);
  });
}

/** A direct connection: the deadline and the errors as for the proxied path, the exchange in http1/. */
async function sendDirect(req: HttpRequest, secure: boolean, host: string, port: number, maxBytes: number): Promise<HttpResponse> {
  try {
    const response = await exchangeDirect(
      {
        url: req.url,
        method: req.method,
        headers: req.body !== undefined ? { ...req.headers, "Content-Length": String(Buffer.byteLength(req.body)) } : req.headers,
        body: req.body,
        secure,
        host,
        port,
        tls: secure ? { ...req.tls, servername: req.tls?.servername ?? (isIp(host) ? undefined : host) } : {},
        maxResponseBytes: maxBytes,
        pool: req.pool,
        lookup: req.lookup,
        onTlsSocket: req.onTlsSocket,
        onResponse: req.onResponse,
      },
      {
        ms: req.timeoutMs,
        error: () =>
          new NetworkError(
            "timeout",
            `No complete answer from ${req.url.host} within ${req.timeoutMs} ms. Check the endpoint and network, or raise timeoutMs.`,
          ),
      },
    );
    return { status: response.status, headers: response.headers, body: response.body };
  } catch (error) {
    throw error instanceof BodyTooLargeError ? bodyTooLarge(req.url, maxBytes) : classifyNetworkError(error, req.url);
  }
}

function bodyTooLarge(url: URL, maxBytes: number): NetworkError {
  return new NetworkError(
    "body-too-large",
    `The answer from ${url.host} is larger than ${maxBytes} bytes; certcreds stopped reading it. Check the endpoint: it does not look like the AWS service.`,
  );
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
