import type { Agent, IncomingHttpHeaders } from "node:http";
import type { LookupFunction, Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { NetworkError } from "../core/errors.js";
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
  /** A keep-alive agent for direct connections. */
  agent?: Agent;
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

/** Sends one request and reads the whole answer, within a deadline and a size cap. */
export async function sendRequest(req: HttpRequest): Promise<HttpResponse> {
  const node = nodeHttp();
  const maxBytes = req.maxResponseBytes ?? 1024 * 1024;
  const secure = req.url.protocol === "https:";
  const host = req.url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(req.url.port || (secure ? 443 : 80));

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const finish = (error: unknown, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
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
    // HTTPS through a proxy is plain HTTP to the proxy, with TLS to the target inside the CONNECT tunnel.
    const send = secure && !req.proxy ? node.https.request : node.http.request;
    if (secure) Object.assign(options, { ...req.tls, servername: req.tls?.servername ?? (isIp(host) ? undefined : host) });

    if (req.proxy) {
      const proxy = req.proxy;
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
    } else if (req.agent) {
      options.agent = req.agent;
    }

    const timer = setTimeout(() => {
      const via = req.proxy ? ` via ${redactUserInfo(req.proxy.href)}` : "";
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
          const error = new NetworkError(
            "body-too-large",
            `The answer from ${req.url.host} is larger than ${maxBytes} bytes; certcreds stopped reading it. Check the endpoint: it does not look like the AWS service.`,
          );
          finish(error);
          res.destroy(error);
          return;
        }
        chunks.push(chunk);
      });
      res.once("end", () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once("error", (error) => finish(error));
      res.once("aborted", () => finish(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
    });
    if (req.onTlsSocket && secure && !req.proxy) {
      clientRequest.once("socket", (socket) => {
        // A reused keep-alive socket emits no new secureConnect: count only fresh ones, and take the
        // listener off when the exchange ends, or every request on a kept-alive socket would leave one behind.
        const onSecure = () => req.onTlsSocket?.(socket);
        socket.once("secureConnect", onSecure);
        cleanups.push(() => socket.removeListener("secureConnect", onSecure));
      });
    }
    clientRequest.once("error", (error) => finish(error));
    clientRequest.end(req.body);
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
