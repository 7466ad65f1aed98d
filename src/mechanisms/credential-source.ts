import { type Clock, systemClock } from "../core/clock.js";
import { firstCredentialsObtained } from "../core/code-cache/first-credentials.js";
import type { CredentialSource, FetchContext, TemporaryCredentials } from "../core/credentials.js";
import type { CertificateInfo } from "../core/events.js";
import { certificatesOf } from "../identity/certificate-info.js";
import { filterLogger, type LevelFilteredLogger, logLine } from "../core/logger.js";
import type { Identity, IdentityInit } from "../identity/identity-init.js";
import { type OpenedIdentity, openIdentity } from "../identity/open-identity.js";
import { serviceTime } from "../aws/service-time.js";
import type { HttpResponse } from "../transport/http-request.js";
import { attemptPlan, withRetries } from "../transport/retry.js";
import type { CheckedMechanismOptions, MechanismOptions } from "./options.js";

/** Differences between this machine's clock and the service's below this are noise (the Date header has whole seconds). */
const CLOCK_TOLERANCE_MS = 60_000;

/**
 * The attempt loop every mechanism shares: per fetch, `prepare()` once; per
 * attempt, the identity loaded again (files renewed on disk are used) and
 * one exchange; retries with backoff for a caller who waits, a single
 * attempt in the background, and no quick retry of a throttled attempt when
 * the cache paces throttling itself (the cache retries later, with a longer
 * jittered delay: quick retries from a whole fleet are what overload a
 * quota). A mechanism is its prepare/attempt pair and the messages of its
 * service.
 */
export abstract class CertificateCredentialSource<Checked extends CheckedMechanismOptions & { endpoint: URL; region: string | undefined }, Prepared>
  implements CredentialSource
{
  abstract readonly name: string;
  /** The service URL credentials come from. */
  readonly endpoint: URL;
  /** The region of the service, when known (an emulator without `region` has none). */
  readonly region: string | undefined;
  protected readonly identity: OpenedIdentity;
  protected readonly clock: Clock;
  protected readonly log: LevelFilteredLogger;
  protected readonly timeoutMs: number;

  constructor(
    private readonly base: IdentityInit & MechanismOptions,
    /** The mechanism's options after its check. */
    protected readonly checked: Checked,
    /** What one attempt is called in log lines (`CreateSession`). */
    private readonly attemptName: string,
    /** Whether the key authenticates mutual TLS (the identity then refuses certificates such a service does not accept). */
    mutualTls = false,
  ) {
    this.endpoint = checked.endpoint;
    this.region = checked.region;
    this.clock = base.clock ?? systemClock;
    this.log = filterLogger(base.logger, checked.logLevel);
    this.timeoutMs = checked.timeoutMs;
    this.identity = openIdentity(base, { ...(base.logger ? { logger: base.logger } : {}), mutualTls });
  }

  /** Whether the warning about this machine's clock was given (once per source). */
  private clockWarned = false;

  /**
   * The credentials of a success answer, checked against the service's clock
   * (its `Date` header) and expressed in this machine's: a device whose clock
   * is far off (no RTC, no NTP yet) gets credentials it refreshes on time
   * instead of refusing them or refreshing in a loop. `parse` checks the
   * answer at the time it is given.
   */
  protected credentialsFrom(response: HttpResponse, parse: (now: number) => TemporaryCredentials): TemporaryCredentials {
    const localNow = this.clock.now();
    const remote = serviceTime(response.headers.date);
    const offset = remote !== undefined && Math.abs(remote - localNow) > CLOCK_TOLERANCE_MS ? remote - localNow : 0;
    const credentials = parse(localNow + offset);
    if (offset === 0) return credentials;
    if (!this.clockWarned) {
      this.clockWarned = true;
      const seconds = Math.round(Math.abs(offset) / 1000);
      logLine(
        this.log,
        "warn",
        "clock-skew",
        `certcreds: this machine's clock is ${seconds} s ${offset > 0 ? "behind" : "ahead of"} the ${this.name}'s (its Date header); refreshes are scheduled by the service's clock. Synchronise this machine's clock (NTP).`,
        { mechanism: this.name, offsetSeconds: Math.round(offset / 1000), correction: "refresh-schedule" },
      );
    }
    return { ...credentials, expiration: new Date(credentials.expiration.getTime() - offset) };
  }

  /** What every attempt of one fetch shares (trust bundle, proxy, connection pool). */
  protected abstract prepare(): Promise<Prepared>;
  /** One exchange with the service. */
  protected abstract attempt(identity: Identity, prepared: Prepared, attempt: number): Promise<TemporaryCredentials>;
  /** The error the caller sees after the last attempt (a mechanism may explain it better). */
  protected finalError(error: unknown, _prepared: Prepared): unknown {
    return error;
  }

  /** The certificates of the identity loaded last, described once per loaded certificate. */
  private loadedCertificates: { der: string; info: CertificateInfo[] } | undefined;

  certificates(): readonly CertificateInfo[] | undefined {
    return this.loadedCertificates?.info;
  }

  private loaded(identity: Identity): Identity {
    // Files are read again at each load: describe the certificates again only when they changed on disk.
    const der = `${identity.certificateBase64};${identity.chainBase64}`;
    if (this.loadedCertificates?.der !== der) this.loadedCertificates = { der, info: certificatesOf(identity) };
    return identity;
  }

  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    const prepared = await this.prepare();
    const retry = attemptPlan(context, this.base.retry);
    try {
      const credentials = await withRetries(
        async (attempt) => this.attempt(this.loaded(await this.identity.load(new Date(this.clock.now()))), prepared, attempt),
        retry,
        this.clock,
        this.log,
        this.attemptName,
      );
      firstCredentialsObtained(this.name);
      return credentials;
    } catch (error) {
      throw this.finalError(error, prepared);
    }
  }

  /** Connections of the mechanism. */
  protected abstract closeTransport(): void;

  /** Closes connections and the key source (token sessions). */
  async close(): Promise<void> {
    this.closeTransport();
    await this.identity.close();
  }
}
