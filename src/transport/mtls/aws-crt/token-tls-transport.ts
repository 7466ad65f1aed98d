import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { ConfigurationError, NetworkError } from "../../../core/errors.js";
import type { Identity } from "../../../identity/identity-init.js";
import { Pkcs11Error } from "../../../identity/sources/pkcs11/errors.js";
import { acquireModule, type ModuleLease } from "../../../identity/sources/pkcs11/module-registry.js";
import type { Pkcs11TlsKey } from "../../../identity/tls-key.js";
import type { HttpResponse } from "../../http-request.js";
import { type Crt, type CrtConnection, type CrtErrorLike, loadCrt, quietly } from "./aws-crt.js";
import { probeServerTrust } from "./server-trust-probe.js";

/** One GET (or other bodiless request) over mutual TLS whose client key is on a PKCS#11 token. */
export interface TokenTlsRequest {
  url: URL;
  method?: string;
  headers: Record<string, string>;
  /** Deadline of the whole request, connection included. */
  timeoutMs: number;
  /** The identity loaded with a PKCS#11 key (its `tlsKey` is of kind `pkcs11`). */
  identity: Identity;
  /** CA certificates (PEM) to trust instead of the system's. */
  ca?: Buffer | string | undefined;
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** SNI and the name checked in the server certificate; default the URL's host. */
  servername?: string | undefined;
  /** An HTTP proxy reached with CONNECT (user:password in the URL for basic auth). */
  proxy?: URL | undefined;
  /** Default 1 MiB. */
  maxResponseBytes?: number;
}

interface TlsState {
  fingerprint: string;
  crt: Crt;
  context: object;
  bootstrap: object;
  /** Never released: see {@link TokenTlsTransport.close}. */
  lease: ModuleLease;
  library: { close(): void };
}

/**
 * Mutual TLS with the key on the token, through aws-crt (s2n), which signs
 * the handshake on the token itself. One TLS context — one session and
 * login on the token — is kept across requests and rebuilt only when the
 * certificate, key or trust settings change. aws-crt negotiates at most
 * TLS 1.2 with a PKCS#11 key (TLS 1.3 would need RSA-PSS from the token);
 * the minimum is pinned to 1.2 as well.
 */
export class TokenTlsTransport {
  private state: TlsState | undefined;
  /** TLS contexts built so far (each one a login on the token): stays 1 while nothing changes. */
  contextsCreated = 0;

  async send(request: TokenTlsRequest): Promise<HttpResponse> {
    const state = await this.tlsFor(request);
    const { crt } = state;
    const host = request.url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(request.url.port || 443);
    const servername = request.servername ?? host;
    const tls = new crt.io.TlsConnectionOptions(state.context, servername);
    const socket = new crt.io.SocketOptions(
      crt.io.SocketType.STREAM,
      isIP(host) === 6 ? crt.io.SocketDomain.IPV6 : crt.io.SocketDomain.IPV4,
      request.timeoutMs,
    );
    const proxy = request.proxy ? proxyOptions(crt, request.proxy) : undefined;
    const maxBytes = request.maxResponseBytes ?? 1024 * 1024;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let connection: CrtConnection | undefined;
      const finish = (error: unknown, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          connection?.close();
        } catch {
          // Already closed.
        }
        if (error) reject(error);
        else resolve(response!);
      };
      const timer = setTimeout(() => {
        // aws-crt (s2n) reports a failed handshake only after a 10–30 s "blinding" delay: find out with Node's TLS
        // whether the server certificate is the problem, which the deadline would otherwise hide.
        const timeout = new NetworkError(
          "timeout",
          `No answer from ${request.url.host} within ${request.timeoutMs} ms (mutual TLS with the PKCS#11 key). aws-crt reports a failed TLS handshake only after a 10–30 s delay: if the network is fine, the server may have refused the client certificate (check it is registered and active for this endpoint).`,
        );
        const probe = request.proxy
          ? Promise.resolve(undefined)
          : probeServerTrust(request.url, request.ca, servername, request.rejectUnauthorized ?? true, 3000);
        probe.then(
          (untrusted) => finish(untrusted ?? timeout),
          () => finish(timeout),
        );
      }, request.timeoutMs);
      try {
        connection = new crt.http.HttpClientConnection(state.bootstrap, host, port, socket, tls, proxy);
      } catch (error) {
        finish(crtError(error, request.url));
        return;
      }
      connection.on("error", (error) => finish(crtError(error, request.url)));
      connection.on("close", () => finish(new NetworkError("reset", `The connection to ${request.url.host} was closed before a full answer.`)));
      connection.on("connect", () => {
        const headers = new crt.http.HttpHeaders([["host", request.url.host], ...Object.entries(request.headers)]);
        const stream = connection!.request(new crt.http.HttpRequest(request.method ?? "GET", `${request.url.pathname}${request.url.search}`, headers));
        let status = 0;
        const responseHeaders: IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("response", (code, received) => {
          status = code;
          for (const [name, value] of received) responseHeaders[name.toLowerCase()] = value;
        });
        stream.on("data", (chunk) => {
          size += chunk.byteLength;
          if (size > maxBytes) {
            finish(new NetworkError("body-too-large", `The answer of ${request.url.host} is larger than ${maxBytes} bytes: this is not the expected service.`));
            return;
          }
          chunks.push(Buffer.from(chunk));
        });
        stream.on("end", () => finish(undefined, { status, headers: responseHeaders, body: Buffer.concat(chunks) }));
        stream.on("error", (error) => finish(crtError(error, request.url)));
        stream.activate();
      });
    });
  }

  /** The TLS context for this identity and these trust settings, built once and kept. */
  private async tlsFor(request: TokenTlsRequest): Promise<TlsState> {
    const key = await request.identity.tlsKey?.();
    if (key?.kind !== "pkcs11") {
      throw new ConfigurationError(
        "pkcs11",
        "Mutual TLS through the PKCS#11 transport needs a key configured with pkcs11 (or a pkcs11: URI); this identity has none.",
      );
    }
    if (!key.selectableByLabel) {
      throw new Pkcs11Error(
        "object-ambiguous",
        "pkcs11.privateKeyLabel",
        `aws-crt, which carries mutual TLS with a token key, finds the key by its label only, and ${key.keyName} ${key.keyName.startsWith("(no label)") ? "has no label" : "shares its label with another private key"} on token "${key.tokenLabel}". Give the key a label of its own (pkcs11-tool --set-id / --label), or remove the other keys.`,
      );
    }
    const certificatePem = [request.identity.certificate, ...request.identity.chain].map((c) => c.toString()).join("");
    const ca = request.ca === undefined ? undefined : request.ca.toString();
    const verify = request.rejectUnauthorized ?? true;
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([key.library, key.slotId, key.keyLabel ?? "", certificatePem, ca ?? "", verify]))
      .digest("hex");
    if (this.state?.fingerprint === fingerprint) return this.state;
    this.close();
    this.state = await this.createState(key, certificatePem, ca, verify, fingerprint);
    return this.state;
  }

  private async createState(key: Pkcs11TlsKey, certificatePem: string, ca: string | undefined, verify: boolean, fingerprint: string): Promise<TlsState> {
    const crt = await loadCrt();
    // Keep the module initialised (by certcreds, with OS locking) while aws-crt uses it; aws-crt must not initialise or finalise it.
    const lease = await acquireModule(key.library, "pkcs11.library");
    let library: { close(): void } | undefined;
    try {
      return quietly(() => {
        library = new crt.io.Pkcs11Lib(key.library, crt.io.Pkcs11Lib.InitializeFinalizeBehavior.OMIT);
        const options = crt.io.TlsContextOptions.create_client_with_mtls_pkcs11({
          pkcs11_lib: library,
          user_pin: key.pin ?? null,
          slot_id: key.slotId,
          ...(key.keyLabel !== undefined ? { private_key_object_label: key.keyLabel } : {}),
          cert_file_contents: certificatePem,
        });
        options.min_tls_version = crt.io.TlsVersion.TLSv1_2;
        options.verify_peer = verify;
        if (ca !== undefined) options.certificate_authority = ca;
        const context = new crt.io.ClientTlsContext(options);
        this.contextsCreated++;
        return { fingerprint, crt, context, bootstrap: new crt.io.ClientBootstrap(), lease, library };
      });
    } catch (error) {
      library?.close();
      lease.release();
      throw tlsContextError(error, key);
    }
  }

  /**
   * Releases the TLS context. The module lease is kept on purpose: aws-crt
   * closes its own token session only when the context is garbage-collected,
   * so the module must stay initialised for the rest of the process (a
   * finalised and re-initialised module could see that late C_CloseSession
   * hit a new session with the same handle).
   */
  close(): void {
    const state = this.state;
    this.state = undefined;
    state?.library.close();
  }
}

function proxyOptions(crt: Crt, proxy: URL): object {
  const port = Number(proxy.port || (proxy.protocol === "https:" ? 443 : 80));
  const user = decodeURIComponent(proxy.username);
  const auth = user ? crt.http.HttpProxyAuthenticationType.Basic : crt.http.HttpProxyAuthenticationType.None;
  return new crt.http.HttpProxyOptions(
    proxy.hostname,
    port,
    auth,
    user || undefined,
    user ? decodeURIComponent(proxy.password) : undefined,
    undefined,
    crt.http.HttpProxyConnectionType.Tunneling,
  );
}

/** Why building the TLS context failed: almost always the token (PIN, key, certificate). */
function tlsContextError(error: unknown, key: Pkcs11TlsKey): Error {
  const name = (error as CrtErrorLike)?.error_name ?? "";
  const detail = name || (error as Error)?.message || String(error);
  if (/PIN_INCORRECT/.test(name)) {
    return new Pkcs11Error(
      "pin-incorrect",
      "pkcs11.userPin",
      `Token "${key.tokenLabel}" rejected the PIN during the TLS setup (${detail}). Fix pkcs11.userPin; tokens lock after a few wrong PINs.`,
      "CKR_PIN_INCORRECT",
    );
  }
  return new Pkcs11Error(
    "token",
    "pkcs11",
    `aws-crt could not set up mutual TLS with key ${key.keyName} on token "${key.tokenLabel}" (${detail}). Check that the certificate belongs to the key and that the key is RSA or EC.`,
    undefined,
    { cause: error },
  );
}

/** aws-crt's error names mapped to the kinds of {@link NetworkError} the mechanisms understand. */
function crtError(error: unknown, url: URL): Error {
  if (error instanceof NetworkError || error instanceof Pkcs11Error) return error;
  const name = (error as CrtErrorLike)?.error_name ?? "";
  const detail = name || (error as Error)?.message || String(error);
  const host = url.host;
  if (/PKCS11/.test(name)) {
    return new Pkcs11Error("token", "pkcs11", `The PKCS#11 token failed during the TLS handshake with ${host} (${detail}).`, undefined, { cause: error });
  }
  if (/DNS/.test(name))
    return new NetworkError("dns", `The host name ${url.hostname} does not resolve (${detail}). Check the endpoint and this machine's DNS.`, { cause: error });
  if (/CONNECTION_REFUSED|NO_ROUTE|NETWORK_DOWN|UNREACHABLE/.test(name)) {
    return new NetworkError("connect", `Could not connect to ${host} (${detail}). Check the endpoint, the network and any proxy.`, { cause: error });
  }
  if (/TIMEOUT/.test(name)) return new NetworkError("timeout", `Connecting to ${host} timed out (${detail}).`, { cause: error });
  if (/PROXY/.test(name))
    return new NetworkError("proxy", `The proxy refused or failed the tunnel to ${host} (${detail}). Check the proxy option and HTTPS_PROXY.`, {
      cause: error,
    });
  if (/TLS/.test(name)) {
    return new NetworkError(
      "tls",
      `The TLS handshake with ${host} failed (${detail}). Either the server certificate is not trusted (pass the CA that issued it), or the server refused the client certificate (check it is registered and active for this endpoint).`,
      { cause: error },
    );
  }
  if (/CLOSED|RESET|BROKEN_PIPE/.test(name))
    return new NetworkError("reset", `The connection to ${host} was closed before a full answer (${detail}).`, { cause: error });
  return new NetworkError("connect", `Request to ${host} failed (${detail}).`, { cause: error });
}
