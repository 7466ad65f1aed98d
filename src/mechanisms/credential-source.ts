import { type Clock, systemClock } from "../core/clock.js";
import type { CredentialSource, FetchContext, TemporaryCredentials } from "../core/credentials.js";
import { filterLogger, type LevelFilteredLogger } from "../core/logger.js";
import type { Identity, IdentityInit } from "../identity/identity-init.js";
import { type OpenedIdentity, openIdentity } from "../identity/open-identity.js";
import { withRetries } from "../transport/retry.js";
import type { CheckedMechanismOptions, MechanismOptions } from "./options.js";

/**
 * The attempt loop every mechanism shares: per fetch, `prepare()` once; per
 * attempt, the identity loaded again (files renewed on disk are used) and
 * one exchange; retries with backoff for a caller who waits, a single
 * attempt in the background (the cache retries later, with a longer
 * jittered delay: quick retries from a whole fleet are what overload a
 * quota). A mechanism is its prepare/attempt pair and the messages of its
 * service.
 */
export abstract class CertificateCredentialSource<Prepared> implements CredentialSource {
  abstract readonly name: string;
  protected readonly identity: OpenedIdentity;
  protected readonly clock: Clock;
  protected readonly log: LevelFilteredLogger;
  protected readonly timeoutMs: number;

  constructor(
    private readonly base: IdentityInit & MechanismOptions,
    checked: CheckedMechanismOptions,
    /** What one attempt is called in log lines (`CreateSession`). */
    private readonly attemptName: string,
  ) {
    this.clock = base.clock ?? systemClock;
    this.log = filterLogger(base.logger, checked.logLevel);
    this.timeoutMs = checked.timeoutMs;
    this.identity = openIdentity(base, { ...(base.logger ? { logger: base.logger } : {}) });
  }

  /** What every attempt of one fetch shares (trust bundle, proxy, connection pool). */
  protected abstract prepare(): Promise<Prepared>;
  /** One exchange with the service. */
  protected abstract attempt(identity: Identity, prepared: Prepared, attempt: number): Promise<TemporaryCredentials>;
  /** The error the caller sees after the last attempt (a mechanism may explain it better). */
  protected finalError(error: unknown, _prepared: Prepared): unknown {
    return error;
  }

  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    const prepared = await this.prepare();
    const retry = context?.background ? { ...this.base.retry, maxAttempts: 1 } : (this.base.retry ?? {});
    try {
      return await withRetries(
        async (attempt) => this.attempt(await this.identity.load(new Date(this.clock.now())), prepared, attempt),
        retry,
        this.clock,
        this.log,
        this.attemptName,
      );
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
