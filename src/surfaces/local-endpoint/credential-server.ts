import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { TemporaryCredentials } from "../../core/credentials.js";
import { rfc3339 } from "../credential-process/rfc3339.js";
import { certificateWarnings, type SessionFigures } from "./certificate-warnings.js";
import { type ConnectionLimits, defaultConnectionLimits, limitConnections } from "./connection-limits.js";
import { HostAllowList } from "./host-allow-list.js";
import type { EndpointName, ServeMetrics } from "./metrics.js";
import { EXPOSITION_CONTENT_TYPE } from "./prometheus-text.js";
import { ImdsTokens, secretEquals } from "./serve-tokens.js";

/** Where the server gets credentials, and the figures /healthz and /metrics show: the library's CredentialSession fits. */
export interface CredentialSupplier extends SessionFigures {
  getCredentials(): Promise<TemporaryCredentials>;
  /** With none valid after a failure: milliseconds until the next upstream attempt (the `Retry-After`). */
  retryInMs?(): number | undefined;
}

export interface CredentialServerOptions {
  supplier: CredentialSupplier;
  /** Role name IMDS lists under security-credentials/. */
  roleName: string;
  /** The container endpoint's Authorization token. */
  authorizationToken: string;
  /** Path of the container endpoint (default /credentials). */
  containerPath?: string;
  /**
   * Host names and addresses answered besides the loopback ones (the listen address, names the user added);
   * every other Host is refused, wherever the server listens (DNS rebinding).
   */
  allowedHosts?: readonly string[];
  /** Bounds on the connections held (default {@link defaultConnectionLimits}). */
  connectionLimits?: ConnectionLimits;
  /** Called with each failure to obtain credentials (for the log). */
  onError?: (error: unknown) => void;
  /** Counts the requests answered and answers `GET /metrics` (without it, /metrics is 404). */
  metrics?: ServeMetrics;
}

const TOKEN_PATH = "/latest/api/token";
const CREDENTIALS_PREFIX = "/latest/meta-data/iam/security-credentials";
const MAX_TOKEN_TTL = 21_600;

function send(res: ServerResponse, status: number, body: string, type = "application/json", extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...extra,
  });
  res.end(body);
}

/** The fields both protocols carry, in their order: the key, the secret, the token, the expiration. */
function keys(current: TemporaryCredentials): Record<string, string> {
  return { AccessKeyId: current.accessKeyId, SecretAccessKey: current.secretAccessKey, Token: current.sessionToken, Expiration: rfc3339(current.expiration) };
}

function failure(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify({ Code: code, Message: message }), "application/json", extra);
}

/**
 * Header lines a request may carry. More is refused (431) rather than cut: Node's own limit drops the
 * lines past it without a word, and a header checked for (X-Forwarded-For) could hide behind the cut.
 * The 8 KiB header size already bounds the work; real clients send about ten.
 */
export const MAX_HEADER_LINES = 128;

/** Whether a header is present, however often and in whatever case, looking at every line received. */
function hasRawHeader(req: IncomingMessage, name: string): boolean {
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === name) return true;
  return false;
}

/**
 * The two local credential protocols on one HTTP server: IMDSv2 and the
 * container credentials endpoint. No CORS headers, no request bodies, small
 * header limits; `/healthz` tells whether valid credentials are held and
 * which certificates are close to their end, `/metrics` (with `metrics`)
 * the Prometheus exposition; neither shows a key id, a secret or a token.
 */
export function createCredentialServer(options: CredentialServerOptions): Server {
  const tokens = new ImdsTokens();
  const containerPath = options.containerPath ?? "/credentials";
  let lastKeyId: string | undefined;
  let lastUpdated = new Date();
  const hosts = new HostAllowList(options.allowedHosts);

  async function credentials(res: ServerResponse): Promise<TemporaryCredentials | undefined> {
    try {
      const current = await options.supplier.getCredentials();
      if (current.accessKeyId !== lastKeyId) {
        lastKeyId = current.accessKeyId;
        lastUpdated = new Date();
      }
      return current;
    } catch (error) {
      options.onError?.(error);
      // Temporary: the upstream is retried on a backoff, and a client asking again sooner gets this answer at once.
      const retryIn = options.supplier.retryInMs?.();
      failure(
        res,
        503,
        "CredentialsUnavailable",
        `certcreds has no valid credentials to serve: ${(error as Error).message ?? String(error)}`.replace(/\s*\n\s*/g, " "),
        { "Retry-After": String(Math.max(1, Math.ceil((retryIn ?? 1000) / 1000))) },
      );
      return undefined;
    }
  }

  /** Answers 200 with the credentials in the shape of one protocol, or the failure when none are valid. */
  async function answer(res: ServerResponse, shape: (current: TemporaryCredentials) => Record<string, string>): Promise<void> {
    const current = await credentials(res);
    if (current) send(res, 200, JSON.stringify(shape(current)));
  }

  /** What a path is counted as in the request metrics (a bounded set, whatever clients send). */
  function endpointOf(path: string): EndpointName {
    if (path === TOKEN_PATH) return "imds_token";
    if (path === CREDENTIALS_PREFIX || path.startsWith(`${CREDENTIALS_PREFIX}/`)) return "imds_credentials";
    if (path === containerPath) return "container";
    if (path === "/healthz") return "healthz";
    if (path === "/metrics") return "metrics";
    return "other";
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.rawHeaders.length / 2 > MAX_HEADER_LINES) {
      failure(res, 431, "RequestHeaderFieldsTooLarge", `A request carries at most ${MAX_HEADER_LINES} header lines.`, { Connection: "close" });
      return;
    }
    if (!hosts.allows(req.headers.host)) {
      failure(res, 403, "Forbidden", "Host must be a loopback address (127.0.0.1, localhost, [::1]), the listen address or a name given with --allow-host.");
      return;
    }
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > 0 || req.headers["transfer-encoding"] !== undefined) {
      failure(res, 413, "PayloadTooLarge", "Requests to this endpoint carry no body.");
      req.socket.destroySoon?.();
      return;
    }
    if (path === "/healthz" && req.method === "GET") {
      const expiration = options.supplier.expiration;
      const valid = expiration !== undefined && expiration.getTime() > Date.now();
      // A certificate close to its end is a warning, not a failure: the credentials are still good.
      const warnings = certificateWarnings(options.supplier);
      send(
        res,
        valid ? 200 : 503,
        JSON.stringify({ status: valid ? "ok" : "no valid credentials", ...(valid ? { expiration: rfc3339(expiration) } : {}), warnings }),
      );
      return;
    }

    if (path === "/metrics" && options.metrics) {
      if (req.method !== "GET") {
        failure(res, 405, "MethodNotAllowed", "Use GET.");
        return;
      }
      send(res, 200, options.metrics.exposition(options.supplier), EXPOSITION_CONTENT_TYPE);
      return;
    }

    if (path === containerPath) {
      if (req.method !== "GET") {
        failure(res, 405, "MethodNotAllowed", "Use GET.");
        return;
      }
      const given = req.headers.authorization;
      if (typeof given !== "string" || !secretEquals(given, options.authorizationToken)) {
        failure(res, 401, "Unauthorized", "Missing or wrong Authorization token: send the content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.");
        return;
      }
      await answer(res, (current) => ({ ...keys(current), ...(current.accountId ? { AccountId: current.accountId } : {}) }));
      return;
    }

    if (path === TOKEN_PATH) {
      if (req.method !== "PUT") {
        failure(res, 405, "MethodNotAllowed", "Use PUT to get an IMDSv2 token.");
        return;
      }
      // Like AWS's helper and EC2: a token request relayed by a proxy is refused.
      if (hasRawHeader(req, "x-forwarded-for")) {
        failure(res, 403, "Forbidden", "Token requests through a proxy (X-Forwarded-For) are refused.");
        return;
      }
      const ttlHeader = req.headers["x-aws-ec2-metadata-token-ttl-seconds"];
      const ttl = typeof ttlHeader === "string" && /^\d{1,5}$/.test(ttlHeader.trim()) ? Number(ttlHeader) : Number.NaN;
      if (!(ttl >= 1 && ttl <= MAX_TOKEN_TTL)) {
        failure(res, 400, "BadRequest", `x-aws-ec2-metadata-token-ttl-seconds must be a whole number from 1 to ${MAX_TOKEN_TTL}.`);
        return;
      }
      send(res, 200, tokens.issue(ttl), "text/plain", { "x-aws-ec2-metadata-token-ttl-seconds": String(ttl) });
      return;
    }

    if (path === CREDENTIALS_PREFIX || path.startsWith(`${CREDENTIALS_PREFIX}/`)) {
      if (req.method !== "GET") {
        failure(res, 405, "MethodNotAllowed", "Use GET.");
        return;
      }
      const token = req.headers["x-aws-ec2-metadata-token"];
      if (!tokens.verify(typeof token === "string" ? token : undefined)) {
        send(res, 401, "", "text/plain");
        return;
      }
      const role = path.slice(CREDENTIALS_PREFIX.length + 1);
      if (role === "") {
        send(res, 200, options.roleName, "text/plain");
        return;
      }
      if (role !== options.roleName) {
        send(res, 404, "", "text/plain");
        return;
      }
      await answer(res, (current) => ({ Code: "Success", LastUpdated: rfc3339(lastUpdated), Type: "AWS-HMAC", ...keys(current) }));
      return;
    }
    failure(res, 404, "NotFound", "Not found: this server answers IMDSv2 credential paths, the container credentials endpoint, /healthz and /metrics.");
  }

  const server = createServer({ maxHeaderSize: 8 * 1024, requestTimeout: 10_000, headersTimeout: 5_000, connectionsCheckingInterval: 1_000 }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/{2,}/, "/");
    const metrics = options.metrics;
    if (metrics) {
      const endpoint = endpointOf(path);
      res.once("finish", () => metrics.countRequest(endpoint, res.statusCode));
    }
    handle(req, res, path).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) failure(res, 500, "InternalError", "Internal error.");
      else res.destroy();
    });
  });
  // Every header line reaches the handler, which refuses too many (the 8 KiB limit bounds them).
  server.maxHeadersCount = 0;
  server.maxRequestsPerSocket = 0;
  // Node's default, said here: idle between two requests of a kept-alive client.
  server.keepAliveTimeout = 5_000;
  limitConnections(server, options.connectionLimits ?? defaultConnectionLimits());
  // Without a listener Node drops a CONNECT request's connection without a word: answer it, then
  // close the connection (Node no longer reads it, so the client's end would never be seen).
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify({ Code: "MethodNotAllowed", Message: "This server is no proxy: CONNECT is not supported." });
    socket.on("error", () => {});
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  return server;
}
