import type { TemporaryCredentials } from "../../core/credentials.js";
import { logLine } from "../../core/logger.js";
import { VERSION } from "../../core/version.js";
import type { Identity } from "../../identity/identity-init.js";
import type { Material } from "../../identity/material.js";
import { type HttpResponse, sendRequest } from "../../transport/http-request.js";
import { ConnectionPool } from "../../transport/http1/connection-pool.js";
import { resolveProxy } from "../../transport/proxy.js";
import { CertificateCredentialSource } from "../credential-source.js";
import { readTrustBundle } from "../trust-bundle.js";
import { type CheckedRolesAnywhereOptions, checkRolesAnywhereOptions, ROLES_ANYWHERE_NAME, type RolesAnywhereInit } from "./options.js";
import { parseCreateSessionSuccess } from "./response.js";
import { createSessionError } from "./service-errors.js";
import { signRequest } from "./sigv4-x509.js";

/** Largest clock error corrected from the service's Date header before failing. */
const SKEW_LIMIT_MS = 4 * 60_000;

/** The canonical request for people: the certificate headers (a kilobyte of base64 each) shortened to their length. */
function abbreviateCertificates(canonical: string): string {
  return canonical.replace(/^(x-amz-x509(?:-chain)?):(.{64,})$/gm, (_, name: string, value: string) => `${name}:<${value.length} characters of base64 DER>`);
}

interface Prepared {
  ca: Material | undefined;
  proxy: URL | undefined;
  pool: ConnectionPool;
}

/** Fetches credentials from IAM Roles Anywhere CreateSession, signing with SigV4-X509. */
export class RolesAnywhereSource extends CertificateCredentialSource<CheckedRolesAnywhereOptions, Prepared> {
  readonly name = ROLES_ANYWHERE_NAME;
  declare readonly region: string;
  private pool: ConnectionPool | undefined;

  /** Correction applied to this machine's clock after the service reported skew. */
  clockOffsetMs = 0;

  /** `checked`: the options as checked when the session was made (checked here otherwise). */
  constructor(
    private readonly init: RolesAnywhereInit,
    checked: CheckedRolesAnywhereOptions = checkRolesAnywhereOptions(init),
  ) {
    super(init, checked, "CreateSession");
  }

  protected async prepare(): Promise<Prepared> {
    // Keep-alive: a refresh reuses the connection (or resumes the TLS session) when the service allows.
    this.pool ??= new ConnectionPool();
    return { ca: await readTrustBundle(this.init.caBundle, "caBundle"), proxy: resolveProxy(this.endpoint, this.init.proxy), pool: this.pool };
  }

  protected async attempt(first: Identity, prepared: Prepared): Promise<TemporaryCredentials> {
    let identity = first;
    let skewCorrected = false;
    for (;;) {
      const response = await this.send(identity, prepared);
      if (response.status === 201) return this.credentialsFrom(response, (now) => parseCreateSessionSuccess(response.body, now, this.checked.accountId));
      if (!skewCorrected && this.correctSkew(response)) {
        skewCorrected = true;
        // Signed again with the service's time, certificate and key read again like any attempt.
        identity = await this.identity.load(new Date(this.clock.now()));
        continue;
      }
      const { trustAnchorArn, profileArn, roleArn } = this.init;
      throw createSessionError(response, { region: this.region, trustAnchorArn, profileArn, roleArn }, this.clock.now());
    }
  }

  private async send(identity: Identity, prepared: Prepared): Promise<HttpResponse> {
    const signedAt = new Date(this.clock.now() + this.clockOffsetMs);
    const body = JSON.stringify({
      durationSeconds: this.checked.durationSeconds,
      profileArn: this.init.profileArn,
      roleArn: this.init.roleArn,
      trustAnchorArn: this.init.trustAnchorArn,
      ...(this.init.roleSessionName ? { roleSessionName: this.init.roleSessionName } : {}),
    });
    const headers = await signRequest(
      { method: "POST", path: "/sessions", query: {}, headers: { "Content-Type": "application/json", Host: this.endpoint.host }, body },
      identity,
      this.region,
      signedAt,
      this.log.enabled("trace")
        ? (canonical, toSign) =>
            logLine(
              this.log,
              "trace",
              "sigv4-signed",
              `certcreds: SigV4-X509 canonical request:\n${abbreviateCertificates(canonical)}\ncertcreds: string to sign:\n${toSign}`,
              { mechanism: this.name },
            )
        : undefined,
    );
    headers["User-Agent"] = `certcreds/${VERSION}`;
    return sendRequest({
      url: new URL("/sessions", this.endpoint),
      method: "POST",
      headers,
      body,
      timeoutMs: this.timeoutMs,
      pool: prepared.pool,
      ...(prepared.proxy ? { proxy: prepared.proxy } : {}),
      tls: { ...(prepared.ca ? { ca: prepared.ca.bytes } : {}), rejectUnauthorized: this.init.rejectUnauthorized ?? true },
    });
  }

  /** When a rejection comes with a Date header far from our clock, adopt the service's time. */
  private correctSkew(response: HttpResponse): boolean {
    if (response.status !== 403 && response.status !== 400) return false;
    const serverTime = Date.parse(String(response.headers.date ?? ""));
    if (Number.isNaN(serverTime)) return false;
    const offset = serverTime - this.clock.now();
    if (Math.abs(offset - this.clockOffsetMs) < SKEW_LIMIT_MS) return false;
    this.clockOffsetMs = offset;
    logLine(
      this.log,
      "warn",
      "clock-skew",
      `certcreds: this machine's clock is ${Math.round(offset / 1000)} s off the service's; signing with the service's time`,
      {
        mechanism: this.name,
        offsetSeconds: Math.round(offset / 1000),
        correction: "signing-time",
      },
    );
    return true;
  }

  protected closeTransport(): void {
    this.pool?.destroy();
  }
}
