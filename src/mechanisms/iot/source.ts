import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { isIpHost } from "../../aws/endpoint-url.js";
import { readErrorAnswer } from "../../aws/error-answer.js";
import type { TemporaryCredentials } from "../../core/credentials.js";
import { NetworkError } from "../../core/errors.js";
import { logLine } from "../../core/logger.js";
import { VERSION } from "../../core/version.js";
import type { Identity } from "../../identity/identity-init.js";
import type { Material } from "../../identity/material.js";
import type { HttpResponse } from "../../transport/http-request.js";
import { MutualTlsClient } from "../../transport/mtls/client.js";
import { redactUserInfo, resolveProxy } from "../../transport/proxy.js";
import { CertificateCredentialSource } from "../credential-source.js";
import { explainTrustBundle, readTrustBundle } from "../trust-bundle.js";
import { type CheckedIotOptions, checkIotOptions, IOT_NAME, type IotInit } from "./options.js";
import { parseIotCredentials } from "./response.js";
import { type IotErrorContext, iotCertificateId, iotNetworkError, iotServiceError } from "./service-errors.js";

/** How one attempt went at the connection level, to tell a refused client certificate from a network hiccup. */
interface AttemptTrace {
  /** A new TLS connection completed its handshake during this attempt. */
  freshHandshake: boolean;
  /** The server began an answer (status line and headers): a reset after that is no refusal of the certificate. */
  answered: boolean;
}

/** What the attempts of one fetch share. */
interface Prepared {
  ca: Material | undefined;
  proxy: URL | undefined;
  url: URL;
  ctx: IotErrorContext;
  started: number;
  attempts: number;
  droppedAfterHandshake: number;
}

/**
 * Fetches credentials from the AWS IoT Core credential provider:
 * `GET /role-aliases/<alias>/credentials` over mutual TLS with the thing's
 * certificate and key. The connection is kept between refreshes (or at
 * least the TLS session resumed).
 */
export class IotCredentialSource extends CertificateCredentialSource<CheckedIotOptions, Prepared> {
  readonly name = IOT_NAME;
  /** New TLS connections this source opened (a reused keep-alive connection is not one). */
  tlsHandshakes = 0;
  /** Of those, how many resumed an earlier TLS session (abbreviated handshake). */
  resumedTlsSessions = 0;

  private readonly tls = new MutualTlsClient();

  /** `checked`: the options as checked when the session was made (checked here otherwise). */
  constructor(
    private readonly init: IotInit,
    checked: CheckedIotOptions = checkIotOptions(init),
  ) {
    super(init, checked, "IoT credentials request", true);
  }

  protected async prepare(): Promise<Prepared> {
    const { host, path, verifyPeer } = this.checked;
    if (!verifyPeer) {
      logLine(
        this.log,
        "warn",
        "insecure-tls",
        `certcreds: WARNING verifyPeer is false: the certificate of ${host} is NOT verified, so anyone on the network path can pose as the AWS IoT credential provider. Use this only against a local emulator; set ca instead.`,
        { mechanism: this.name, host },
      );
    }
    return {
      ca: await readTrustBundle(this.init.ca, "ca"),
      proxy: resolveProxy(this.endpoint, this.init.proxy),
      url: new URL(path, this.endpoint),
      ctx: { host, region: this.region, roleAlias: this.init.roleAlias, thingName: this.init.thingName },
      started: this.clock.now(),
      attempts: 0,
      droppedAfterHandshake: 0,
    };
  }

  protected async attempt(identity: Identity, prepared: Prepared, attempt: number): Promise<TemporaryCredentials> {
    const { host, verifyPeer } = this.checked;
    const { url, proxy, ctx } = prepared;
    prepared.attempts++;
    ctx.certificate = identity.certificate;
    const trace: AttemptTrace = { freshHandshake: false, answered: false };
    logLine(
      this.log,
      "debug",
      "request-sent",
      `certcreds: GET ${url.href} for thing ${this.init.thingName} (attempt ${attempt + 1}${proxy ? `, via proxy ${redactUserInfo(proxy.href)}` : ""})`,
      { mechanism: this.name, url: url.href, thingName: this.init.thingName, attempt: attempt + 1, ...(proxy ? { proxy: redactUserInfo(proxy.href) } : {}) },
    );
    let response: HttpResponse;
    try {
      response = await this.tls.send({
        url,
        headers: { "x-amzn-iot-thingname": this.init.thingName, "User-Agent": `certcreds/${VERSION}`, Accept: "application/json" },
        timeoutMs: this.timeoutMs,
        identity,
        ca: prepared.ca?.bytes,
        rejectUnauthorized: verifyPeer,
        // SNI names the endpoint (an IP address cannot be sent as SNI).
        servername: isIpHost(host) ? undefined : host,
        proxy,
        onTlsSocket: (socket) => this.observeTls(socket, trace, identity),
        onResponse: () => {
          trace.answered = true;
        },
      });
    } catch (error) {
      if (error instanceof NetworkError && error.kind === "reset" && trace.freshHandshake && !trace.answered) prepared.droppedAfterHandshake++;
      if (error instanceof NetworkError && error.kind === "tls-server-untrusted") explainTrustBundle(prepared.ca, "ca");
      throw error;
    }
    if (this.log.enabled("trace")) {
      const requestId = response.headers["x-amzn-requestid"];
      logLine(
        this.log,
        "trace",
        "response-received",
        `certcreds: ${host} answered HTTP ${response.status} (${response.body.length} bytes, request id ${String(requestId ?? "none")})`,
        {
          mechanism: this.name,
          host,
          status: response.status,
          bytes: response.body.length,
          requestId: requestId === undefined ? undefined : String(requestId),
        },
      );
    }
    if (response.status !== 200) {
      const answer = readErrorAnswer(response, this.clock.now());
      throw iotServiceError(answer.status, answer.errorType, answer.message, ctx, answer.retryAfterSeconds);
    }
    const credentials = this.credentialsFrom(response, (now) => parseIotCredentials(response.body, host, now));
    const durationMs = this.clock.now() - prepared.started;
    logLine(
      this.log,
      "info",
      "credentials-obtained",
      `certcreds: IoT credentials for role alias ${this.init.roleAlias} obtained in ${durationMs} ms: ${credentials.accessKeyId}, expire at ${credentials.expiration.toISOString()}`,
      {
        mechanism: this.name,
        roleAlias: this.init.roleAlias,
        durationMs,
        accessKeyId: credentials.accessKeyId,
        expiration: credentials.expiration.toISOString(),
      },
    );
    return credentials;
  }

  protected override finalError(error: unknown, prepared: Prepared): unknown {
    const dropped = prepared.droppedAfterHandshake === prepared.attempts ? prepared.droppedAfterHandshake : 0;
    const final = error instanceof NetworkError ? iotNetworkError(error, prepared.ctx, dropped) : error;
    const code = (final as { code?: unknown }).code;
    logLine(this.log, "error", "credentials-failed", `certcreds: IoT credentials for role alias ${this.init.roleAlias} failed: ${(final as Error).message}`, {
      mechanism: this.name,
      roleAlias: this.init.roleAlias,
      error: (final as Error).message,
      ...(typeof code === "string" ? { code } : {}),
    });
    return final;
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
      const certificateId = iotCertificateId(identity.certificate);
      logLine(
        this.log,
        "trace",
        "tls-handshake",
        `certcreds: TLS ${tls.getProtocol() ?? "?"} to ${this.checked.host} (${tls.getCipher()?.name ?? "?"}, ${resumed ? "resumed session" : "full handshake"}), ` +
          `server certificate ${server}${tls.authorized ? "" : ` not verified (${String(tls.authorizationError ?? "verifyPeer false")})`}, ` +
          `client certificate id ${certificateId}`,
        {
          mechanism: this.name,
          host: this.checked.host,
          protocol: tls.getProtocol() ?? undefined,
          cipher: tls.getCipher()?.name,
          resumed,
          verified: tls.authorized,
          certificateId,
        },
      );
    };
    const protocol = tls.getProtocol?.();
    if (protocol && protocol !== "unknown") report();
    else tls.once("secureConnect", report);
  }

  protected closeTransport(): void {
    this.tls.close();
  }
}
