import type { Agent } from "node:http";
import { type Clock, systemClock } from "../../core/clock.js";
import type { CredentialSource, FetchContext, TemporaryCredentials } from "../../core/credentials.js";
import { ConfigurationError } from "../../core/errors.js";
import { type IdentityInit, loadIdentity, releaseIdentity } from "../../identity/load-identity.js";
import type { MaterialInput } from "../../identity/material.js";
import { readMaterial } from "../../identity/material.js";
import type { Logger } from "../../core/logger.js";
import { type HttpResponse, sendRequest } from "../../transport/http-request.js";
import { loadNodeHttp } from "../../transport/node-http.js";
import { resolveProxy } from "../../transport/proxy.js";
import { type RetryOptions, withRetries } from "../../transport/retry.js";
import { showValue } from "../../core/show-value.js";
import { VERSION } from "../../core/version.js";
import { isRegion, parseArn } from "../../aws/arn.js";
import { resolveRolesAnywhereEndpoint } from "./endpoint.js";
import { type CreateSessionContext, createSessionError, parseCreateSessionSuccess } from "./response.js";
import { signRequest } from "./sigv4-x509.js";

/** Everything IAM Roles Anywhere needs besides the identity. */
export interface RolesAnywhereOptions {
  /** `arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<id>` */
  trustAnchorArn: string;
  /** `arn:aws:rolesanywhere:<region>:<account>:profile/<id>` */
  profileArn: string;
  /** `arn:aws:iam::<account>:role/<name>` */
  roleArn: string;
  /** Region of the Roles Anywhere endpoint (default: the trust anchor's). */
  region?: string;
  /** Session lifetime, 900–43200 seconds (default 3600; the profile may cap it). */
  durationSeconds?: number;
  /** Role session name (only when the profile accepts custom names). */
  roleSessionName?: string;
  /** Endpoint override, e.g. a local emulator (`http://` allowed). */
  endpoint?: string | URL;
  /** Use the FIPS endpoint (default from `AWS_USE_FIPS_ENDPOINT`). */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack endpoint (default from `AWS_USE_DUALSTACK_ENDPOINT`). */
  useDualstackEndpoint?: boolean;
  /** CA certificates to trust for the endpoint (path, PEM or bytes) instead of Node's defaults. */
  caBundle?: MaterialInput;
  /** Verify the endpoint's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
  /** HTTP(S) proxy URL; default `HTTPS_PROXY` unless `NO_PROXY` matches; `false` disables. */
  proxy?: string | URL | false;
  /** Deadline of one HTTP attempt in ms (default 10000). */
  timeoutMs?: number;
  /** Retries of network errors, throttling and 5xx. */
  retry?: RetryOptions;
  logger?: Logger;
  /** Time source (tests pass a fake one). */
  clock?: Clock;
}

/** Init of a Roles Anywhere credential source: identity plus service options. */
export type RolesAnywhereInit = IdentityInit & RolesAnywhereOptions;

/** Largest clock error corrected from the service's Date header before failing. */
const SKEW_LIMIT_MS = 4 * 60_000;

/** Checks the options that need no I/O; throws ConfigurationError naming the option. */
export function validateRolesAnywhereOptions(init: RolesAnywhereOptions) {
  const anchor = parseArn(init.trustAnchorArn, "trustAnchorArn", "rolesanywhere", "trust-anchor");
  const profile = parseArn(init.profileArn, "profileArn", "rolesanywhere", "profile");
  const role = parseArn(init.roleArn, "roleArn", "iam", "role");
  if (anchor.region !== profile.region) {
    throw new ConfigurationError(
      "profileArn",
      `The trust anchor is in ${anchor.region} but the profile is in ${profile.region}: they must be in the same region. Use the profile of the trust anchor's region.`,
    );
  }
  if (anchor.accountId !== profile.accountId) {
    throw new ConfigurationError("profileArn", `The trust anchor belongs to account ${anchor.accountId} but the profile to ${profile.accountId}: use ARNs of one account.`);
  }
  const region = init.region ?? anchor.region;
  if (typeof region !== "string" || !isRegion(region)) {
    throw new ConfigurationError("region", `region ${showValue(region)} is not an AWS region name (e.g. us-east-1).`);
  }
  if (init.region !== undefined && init.region !== anchor.region && init.endpoint === undefined) {
    throw new ConfigurationError(
      "region",
      `region ${init.region} differs from the trust anchor's region ${anchor.region}: Roles Anywhere only knows a trust anchor in its own region. Leave region out, or use a trust anchor and profile of ${init.region}.`,
    );
  }
  const durationSeconds: number = init.durationSeconds ?? 3600;
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
    throw new ConfigurationError("durationSeconds", `durationSeconds ${showValue(init.durationSeconds)} is out of range: use a whole number from 900 to 43200.`);
  }
  if (init.roleSessionName !== undefined && (typeof init.roleSessionName !== "string" || !/^[\w+=,.@-]{2,64}$/.test(init.roleSessionName))) {
    throw new ConfigurationError("roleSessionName", `roleSessionName ${showValue(init.roleSessionName)} is invalid: 2–64 characters of letters, digits and + = , . @ _ -.`);
  }
  const timeoutMs = init.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) throw new ConfigurationError("timeoutMs", `timeoutMs must be a positive number of milliseconds.`);
  const url = resolveRolesAnywhereEndpoint({
    region,
    partition: anchor.partition,
    ...(init.endpoint !== undefined ? { endpoint: init.endpoint } : {}),
    ...(init.useFipsEndpoint !== undefined ? { useFipsEndpoint: init.useFipsEndpoint } : {}),
    ...(init.useDualstackEndpoint !== undefined ? { useDualstackEndpoint: init.useDualstackEndpoint } : {}),
  });
  return { region, durationSeconds, timeoutMs, url, accountId: role.accountId };
}

/** Fetches credentials from IAM Roles Anywhere CreateSession, signing with SigV4-X509. */
export class RolesAnywhereSource implements CredentialSource {
  readonly name = "IAM Roles Anywhere";
  readonly region: string;
  readonly endpoint: URL;
  private readonly durationSeconds: number;
  private readonly timeoutMs: number;
  private readonly accountId: string;
  private agent: Agent | undefined;
  private readonly clock: Clock;
  private get errorContext(): CreateSessionContext {
    const { trustAnchorArn, profileArn, roleArn } = this.init;
    return { region: this.region, trustAnchorArn, profileArn, roleArn, accountId: this.accountId };
  }

  /** Correction applied to this machine's clock after the service reported skew. */
  clockOffsetMs = 0;

  constructor(private readonly init: RolesAnywhereInit) {
    const checked = validateRolesAnywhereOptions(init);
    this.region = checked.region;
    this.endpoint = checked.url;
    this.durationSeconds = checked.durationSeconds;
    this.timeoutMs = checked.timeoutMs;
    this.accountId = checked.accountId;
    this.clock = init.clock ?? systemClock;
  }

  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    const ca = this.init.caBundle !== undefined ? (await readMaterial(this.init.caBundle, "caBundle")).bytes : undefined;
    const proxy = resolveProxy(this.endpoint, this.init.proxy);
    if (!this.agent) {
      // Keep-alive: a refresh reuses the connection (and TLS session) when the service allows.
      const { http, https } = await loadNodeHttp();
      this.agent = this.endpoint.protocol === "https:" ? new https.Agent({ keepAlive: true, maxSockets: 2 }) : new http.Agent({ keepAlive: true, maxSockets: 2 });
    }
    const agent = this.agent;
    let skewCorrected = false;
    return withRetries(
      async () => {
        for (;;) {
          const identity = await loadIdentity(this.init, new Date(this.clock.now()));
          const signedAt = new Date(this.clock.now() + this.clockOffsetMs);
          const body = JSON.stringify({
            durationSeconds: this.durationSeconds,
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
          );
          headers["User-Agent"] = `certcreds/${VERSION}`;
          const response = await sendRequest({
            url: new URL("/sessions", this.endpoint),
            method: "POST",
            headers,
            body,
            timeoutMs: this.timeoutMs,
            agent,
            ...(proxy ? { proxy } : {}),
            tls: { ...(ca ? { ca } : {}), rejectUnauthorized: this.init.rejectUnauthorized ?? true },
          });
          if (response.status === 201) return parseCreateSessionSuccess(response.body, this.clock.now(), this.accountId);
          if (!skewCorrected && this.correctSkew(response)) {
            skewCorrected = true;
            continue;
          }
          throw createSessionError(response, this.errorContext, this.clock.now());
        }
      },
      context?.background ? { ...this.init.retry, maxAttempts: 1 } : (this.init.retry ?? {}),
      this.clock,
      this.init.logger,
      "CreateSession",
    );
  }

  /** When a rejection comes with a Date header far from our clock, adopt the service's time. */
  private correctSkew(response: HttpResponse): boolean {
    if (response.status !== 403 && response.status !== 400) return false;
    const serverTime = Date.parse(String(response.headers.date ?? ""));
    if (Number.isNaN(serverTime)) return false;
    const offset = serverTime - this.clock.now();
    if (Math.abs(offset - this.clockOffsetMs) < SKEW_LIMIT_MS) return false;
    this.clockOffsetMs = offset;
    this.init.logger?.warn?.(`certcreds: this machine's clock is ${Math.round(offset / 1000)} s off the service's; signing with the service's time`);
    return true;
  }

  close(): void {
    this.agent?.destroy();
    void releaseIdentity(this.init);
  }
}
