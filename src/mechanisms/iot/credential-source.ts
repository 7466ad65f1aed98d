import type { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type Clock, systemClock } from "../../core/clock.js";
import { type CredentialSource, credentialsFromFields, type FetchContext, type TemporaryCredentials } from "../../core/credentials.js";
import { ConfigurationError, NetworkError, ResponseFormatError, type ServiceError } from "../../core/errors.js";
import { parseCertificates } from "../../identity/certificate.js";
import { type Identity, loadIdentity, releaseIdentity } from "../../identity/load-identity.js";
import { type Material, readMaterial } from "../../identity/material.js";
import { looksLikePem } from "../../identity/pem.js";
import { keyPemForTls } from "../../identity/sources/file/private-key.js";
import { type HttpResponse, sendRequest, type TlsSettings } from "../../transport/http-request.js";
import { loadNodeHttp } from "../../transport/node-http.js";
import { redactUserInfo, resolveProxy } from "../../transport/proxy.js";
import { withRetries } from "../../transport/retry.js";
import type { TokenTlsTransport } from "../../transport/mtls/aws-crt/token-tls-transport.js";
import { VERSION } from "../../core/version.js";
import { filterLogger, type LevelFilteredLogger } from "./log-level.js";
import { type CheckedIotOptions, checkIotOptions, type IotInit } from "./options.js";
import { type IotErrorContext, iotCertificateId, iotNetworkError, iotServiceError } from "./service-errors.js";

/** How one attempt went at the connection level, to tell a refused client certificate from a network hiccup. */
interface AttemptTrace {
  /** A new TLS connection completed its handshake during this attempt. */
  freshHandshake: boolean;
  /** The server began an answer (status line and headers): a reset after that is no refusal of the certificate. */
  answered: boolean;
}

/**
 * Fetches credentials from the AWS IoT Core credential provider:
 * `GET /role-aliases/<alias>/credentials` over mutual TLS with the thing's
 * certificate and key. One keep-alive agent per source, so that a refresh
 * reuses the connection, or at least resumes the TLS session.
 */
export class IotCredentialSource implements CredentialSource {
  readonly name = "AWS IoT credential provider";
  /** `https://host[:port]` of the credential provider. */
  readonly endpoint: URL;
  /** Region from the endpoint or the `region` option; undefined for an emulator without `region`. */
  readonly region: string | undefined;
  /** New TLS connections this source opened (a reused keep-alive connection is not one). */
  tlsHandshakes = 0;
  /** Of those, how many resumed an earlier TLS session (abbreviated handshake). */
  resumedTlsSessions = 0;

  private readonly checked: CheckedIotOptions;
  private agent: HttpsAgent | undefined;
  private readonly clock: Clock;
  private readonly log: LevelFilteredLogger;

  constructor(private readonly init: IotInit) {
    this.checked = checkIotOptions(init);
    this.endpoint = this.checked.endpoint;
    this.region = this.checked.region;
    this.clock = init.clock ?? systemClock;
    this.log = filterLogger(init.logger, this.checked.logLevel);
  }

  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    // One request at a time (the cache is single flight); keep the socket and the TLS session between refreshes.
    // Created on first use: node:https costs start-up time to every importer otherwise.
    this.agent ??= new (await loadNodeHttp()).https.Agent({ keepAlive: true, maxSockets: 2, maxCachedSessions: 4 });
    const agent = this.agent;
    const { host, path, verifyPeer } = this.checked;
    const ctx: IotErrorContext = { host, region: this.region, roleAlias: this.init.roleAlias, thingName: this.init.thingName };
    if (!verifyPeer) {
      this.log.warn(
        `certcreds: WARNING verifyPeer is false: the certificate of ${host} is NOT verified, so anyone on the network path can pose as the AWS IoT credential provider. Use this only against a local emulator; set ca instead.`,
      );
    }
    const ca = await this.readCa();
    const proxy = resolveProxy(this.endpoint, this.init.proxy);
    const url = new URL(path, this.endpoint);
    const started = this.clock.now();
    let attempts = 0;
    let droppedAfterHandshake = 0;
    try {
      const credentials = await withRetries(
        async (attempt) => {
          attempts++;
          const identity = await loadIdentity(this.init, new Date(this.clock.now()));
          ctx.certificate = identity.certificate;
          const trace: AttemptTrace = { freshHandshake: false, answered: false };
          this.log.debug(
            `certcreds: GET ${url.href} for thing ${this.init.thingName} (attempt ${attempt + 1}${proxy ? `, via proxy ${redactUserInfo(proxy.href)}` : ""})`,
          );
          let response: HttpResponse;
          try {
            // PKCS#11 (issue #5): a key on a token has no privateKey here; mutual TLS goes through aws-crt instead.
            response = identity.privateKey
              ? await sendRequest({
                  url,
                  method: "GET",
                  headers: { "x-amzn-iot-thingname": this.init.thingName, "User-Agent": `certcreds/${VERSION}`, Accept: "application/json" },
                  timeoutMs: this.checked.timeoutMs,
                  agent,
                  ...(proxy ? { proxy } : {}),
                  tls: this.tlsSettings(identity, ca),
                  onTlsSocket: (socket) => this.observeTls(socket, trace, identity),
                  onResponse: () => {
                    trace.answered = true;
                  },
                })
              : await this.sendWithTokenKey(identity, url, ca, proxy);
          } catch (error) {
            if (error instanceof NetworkError && error.kind === "reset" && trace.freshHandshake && !trace.answered) droppedAfterHandshake++;
            if (error instanceof NetworkError && error.kind === "tls-server-untrusted") this.checkCa(ca);
            throw error;
          }
          if (this.log.enabled("trace")) {
            this.log.trace(
              `certcreds: ${host} answered HTTP ${response.status} (${response.body.length} bytes, request id ${String(response.headers["x-amzn-requestid"] ?? "none")})`,
            );
          }
          if (response.status === 200) return this.parse(response);
          throw this.serviceError(response, ctx);
        },
        // A background refresh makes one attempt: the cache retries it later, with a longer jittered delay.
        context?.background ? { ...this.init.retry, maxAttempts: 1 } : (this.init.retry ?? {}),
        this.clock,
        this.log,
        "IoT credentials request",
      );
      this.log.info(
        `certcreds: IoT credentials for role alias ${this.init.roleAlias} obtained in ${this.clock.now() - started} ms: ${credentials.accessKeyId}, expire at ${credentials.expiration.toISOString()}`,
      );
      return credentials;
    } catch (error) {
      const final =
        error instanceof NetworkError ? iotNetworkError(error, ctx, droppedAfterHandshake === attempts ? droppedAfterHandshake : 0) : error;
      this.log.error(`certcreds: IoT credentials for role alias ${this.init.roleAlias} failed: ${(final as Error).message}`);
      throw final;
    }
  }

  /**
   * The endpoint's CA bundle, read at every fetch (a renewed file is picked
   * up). PEM goes to TLS as it is; DER is converted. Node's TLS ignores a
   * malformed bundle silently, so {@link checkCa} explains a failed server
   * check when a bundle was given, instead of parsing it on every fetch.
   */
  private async readCa(): Promise<Material | undefined> {
    if (this.init.ca === undefined) return undefined;
    const material = await readMaterial(this.init.ca, "ca");
    if (looksLikePem(material.bytes)) return material;
    const pem = parseCertificates(material, "ca")
      .certificates.map((certificate) => certificate.toString())
      .join("");
    return { ...material, bytes: Buffer.from(pem) };
  }

  /** Throws the InputFormatError of a `ca` input that holds no usable certificate. */
  private checkCa(ca: Material | undefined): void {
    if (ca) parseCertificates(ca, "ca");
  }

  private tlsSettings(identity: Identity, ca: Material | undefined): TlsSettings {
    if (!identity.privateKey) {
      // loadIdentity only omits the key for a signer, which checkIotOptions refuses; keep the guard for safety.
      throw new ConfigurationError("privateKey", "The IoT credential provider needs the private key in this process for mutual TLS: pass privateKey.");
    }
    const { host, verifyPeer } = this.checked;
    return {
      // The chain goes with the certificate so the service can link it to a registered intermediate CA.
      cert: [identity.certificate, ...identity.chain].map((certificate) => certificate.toString()).join(""),
      key: keyPemForTls(identity.privateKey),
      ...(ca !== undefined ? { ca: ca.bytes } : {}),
      rejectUnauthorized: verifyPeer,
      // SNI names the endpoint (an IP address cannot be sent as SNI).
      ...(isIpAddress(host) ? {} : { servername: host }),
    };
  }

  /** Counts the handshake and logs what was negotiated once the TLS connection is up. */
  private observeTls(socket: Socket, trace: AttemptTrace, identity: Identity): void {
    const tls = socket as TLSSocket;
    const report = () => {
      trace.freshHandshake = true;
      this.tlsHandshakes++;
      const resumed = tls.isSessionReused();
      if (resumed) this.resumedTlsSessions++;
      // Building this line costs a certificate parse and a hash: only when someone reads it.
      if (!this.log.enabled("trace")) return;
      const peer = tls.getPeerCertificate();
      const server =
        peer && "subject" in peer && peer.subject
          ? `"${peer.subject.CN ?? "?"}" issued by "${peer.issuer?.CN ?? "?"}"`
          : resumed
            ? "(checked when the session began)"
            : "(none)";
      this.log.trace(
        `certcreds: TLS ${tls.getProtocol() ?? "?"} to ${this.checked.host} (${tls.getCipher()?.name ?? "?"}, ${resumed ? "resumed session" : "full handshake"}), ` +
          `server certificate ${server}${tls.authorized ? "" : ` not verified (${String(tls.authorizationError ?? "verifyPeer false")})`}, ` +
          `client certificate id ${iotCertificateId(identity.certificate)}`,
      );
    };
    const protocol = tls.getProtocol?.();
    if (protocol && protocol !== "unknown") report();
    else tls.once("secureConnect", report);
  }

  private parse(response: HttpResponse): TemporaryCredentials {
    let json: unknown;
    try {
      json = JSON.parse(response.body.toString("utf8"));
    } catch {
      // The body is not quoted: a success body holds secrets.
      throw new ResponseFormatError("iot", `The IoT credential provider's answer is not JSON. Check that endpoint ${this.checked.host} is the account's iot:CredentialProvider endpoint.`);
    }
    const credentials = (json as { credentials?: unknown } | null)?.credentials;
    if (!credentials || typeof credentials !== "object") {
      throw new ResponseFormatError("iot", `The IoT credential provider's answer has no "credentials" object. Check that endpoint ${this.checked.host} is the account's iot:CredentialProvider endpoint.`);
    }
    return credentialsFromFields(credentials as Record<string, unknown>, "iot", this.clock.now());
  }

  private serviceError(response: HttpResponse, ctx: IotErrorContext): ServiceError {
    let message = "";
    try {
      const json = JSON.parse(response.body.toString("utf8")) as { message?: unknown; Message?: unknown };
      message = String(json.message ?? json.Message ?? "");
    } catch {
      message = response.body.toString("utf8").slice(0, 200).replace(/\s+/g, " ").trim();
    }
    const headerType = response.headers["x-amzn-errortype"];
    const errorType = typeof headerType === "string" ? headerType.split(":")[0] || undefined : undefined;
    const retryAfter = Number(response.headers["retry-after"] ?? Number.NaN);
    return iotServiceError(response.status, errorType, message, ctx, Number.isFinite(retryAfter) ? retryAfter : undefined);
  }

  // --- PKCS#11 (issue #5, src/mechanisms/iot-pkcs11): loaded only when the key is on a token. ---
  private tokenTransport: TokenTlsTransport | undefined;

  /** The same GET over mutual TLS signed on the PKCS#11 token (one TLS context, one token login, kept across refreshes). */
  private async sendWithTokenKey(identity: Identity, url: URL, ca: Material | undefined, proxy: URL | undefined): Promise<HttpResponse> {
    this.tokenTransport ??= new (await import("../../transport/mtls/aws-crt/index.js")).TokenTlsTransport();
    const { host, verifyPeer, timeoutMs } = this.checked;
    return this.tokenTransport.send({
      url,
      identity,
      headers: { "x-amzn-iot-thingname": this.init.thingName, "User-Agent": `certcreds/${VERSION}`, Accept: "application/json" },
      timeoutMs,
      ca: ca?.bytes,
      rejectUnauthorized: verifyPeer,
      servername: isIpAddress(host) ? undefined : host,
      proxy,
    });
  }

  close(): void {
    this.agent?.destroy();
    // PKCS#11 (issue #5): the TLS context's token login, then the signer's session.
    this.tokenTransport?.close();
    void releaseIdentity(this.init);
  }
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
