import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { CredentialCache, type RefreshPolicy } from "../../cache/credential-cache.js";
import type { CredentialSource, TemporaryCredentials } from "../../core/credentials.js";
import type { Clock } from "../../core/clock.js";
import { ConfigurationError } from "../../core/errors.js";
import { inspectCustom } from "../../core/node-builtins.js";
import { checkKnownOptions } from "../../core/suggest.js";
import { type Logger, type LogLevel, parseLogLevel, SessionLogger, type TraceLogger } from "../../core/logger.js";

/** Options every session takes, whatever the mechanism. */
export interface SessionOptions {
  /** When credentials are refreshed. */
  refresh?: RefreshPolicy;
  /** Where log lines go (console fits; default: the calling SDK client's logger). Never receives keys or credentials. */
  logger?: TraceLogger;
  /** Which lines reach the logger, `none` to `trace` (default `debug` with a logger, `none` without; without a logger, standard error). */
  logLevel?: LogLevel;
  clock?: Clock;
}

/** The option names of {@link SessionOptions}. */
export const SESSION_OPTIONS: readonly (keyof SessionOptions)[] = ["refresh", "logger", "logLevel", "clock"];

/** Refuses an option name no session knows (a typo would otherwise be ignored), naming the nearest. */
export function checkSessionInit(init: unknown, mechanismOptions: readonly string[], what: string): void {
  if (init !== null && typeof init === "object") checkKnownOptions(init, [...mechanismOptions, ...SESSION_OPTIONS], what);
}

/** The logger a session hands its mechanism and cache: see {@link SessionLogger}. */
export function sessionLogger(options: SessionOptions): SessionLogger {
  return new SessionLogger(options.logger, parseLogLevel(options.logLevel));
}

/**
 * Credentials from a certificate, cached and refreshed for every client that
 * uses this session. The same interface for Roles Anywhere and IoT: switching
 * mechanism changes the constructor's init object, not the code around it.
 */
export class CredentialSession {
  /** Filled by {@link getCredentials}. */
  accessKeyId?: string;
  /** Filled by {@link getCredentials}. Hidden from `console.log` and JSON. */
  declare secretAccessKey?: string;
  /** Filled by {@link getCredentials}. Hidden from `console.log` and JSON. */
  declare sessionToken?: string;
  /** Filled by {@link getCredentials}. */
  expiration?: Date;
  /** Filled by {@link getCredentials} where the mechanism tells it. */
  accountId?: string;

  /** The region `clientConfig()` uses when none is given: the mechanism's own. */
  protected defaultRegion: string | undefined;
  protected readonly cache: CredentialCache;
  protected readonly logger: SessionLogger;

  /**
   * An AWS SDK v3 credential provider backed by this session's cache: give it
   * to as many clients as you like, they share one cache.
   */
  readonly provider: AwsCredentialIdentityProvider;

  constructor(
    protected readonly source: CredentialSource,
    logger: SessionLogger,
    options: SessionOptions,
  ) {
    this.logger = logger;
    this.cache = new CredentialCache(source, {
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.refresh ? { policy: options.refresh } : {}),
    });
    for (const secret of ["secretAccessKey", "sessionToken"] as const) {
      Object.defineProperty(this, secret, { value: undefined, writable: true, enumerable: false, configurable: true });
    }
    // The source holds the init (key path or PEM, passphrase): keep it out of spreads and plain inspection too.
    for (const internal of ["source", "cache", "logger"] as const) {
      Object.defineProperty(this, internal, { enumerable: false });
    }
    this.provider = async (props) => {
      const callerLogger = (props?.callerClientConfig as { logger?: Logger } | undefined)?.logger;
      if (callerLogger) this.logger.fallback = callerLogger;
      return this.getCredentials({ forceRefresh: props?.forceRefresh === true });
    };
  }

  /** Valid credentials, from the cache or freshly fetched (one fetch at a time). */
  async getCredentials(options: { forceRefresh?: boolean } = {}): Promise<TemporaryCredentials> {
    const credentials = await this.cache.get(options);
    this.accessKeyId = credentials.accessKeyId;
    this.secretAccessKey = credentials.secretAccessKey;
    this.sessionToken = credentials.sessionToken;
    this.expiration = credentials.expiration;
    if (credentials.accountId) this.accountId = credentials.accountId;
    return credentials;
  }

  /**
   * `{ region, credentials }` to spread into any AWS SDK v3 client. The region
   * is the one the client calls, which may differ from where the credentials
   * come from; it defaults to the mechanism's region.
   */
  clientConfig(options: { region?: string } = {}): { region: string; credentials: AwsCredentialIdentityProvider } {
    const region = options.region ?? this.defaultRegion;
    if (!region) throw new ConfigurationError("region", "clientConfig needs a region: pass clientConfig({ region: 'us-east-1' }).");
    return { region, credentials: this.provider };
  }

  /**
   * With no valid credentials after a failed fetch: milliseconds until the
   * next upstream attempt, during which calls fail at once with that failure;
   * undefined otherwise.
   */
  retryInMs(): number | undefined {
    return this.cache.retryInMs();
  }

  /** How many fetches the cache made (for diagnostics and tests). */
  get fetchCount(): number {
    return this.cache.fetchCount;
  }

  /** Stops background refresh and releases connections and key handles. */
  close(): Promise<void> {
    return this.cache.close();
  }

  /** What `JSON.stringify` shows: never the key, the secret or the token. */
  toJSON(): { mechanism: string; accessKeyId?: string; expiration?: string } {
    return {
      mechanism: this.source.name,
      ...(this.accessKeyId ? { accessKeyId: this.accessKeyId } : {}),
      ...(this.expiration ? { expiration: this.expiration.toISOString() } : {}),
    };
  }

  /** What `console.log` and `util.inspect` show: never the key, the secret or the token. */
  [inspectCustom](): string {
    return `${this.constructor.name} { accessKeyId: ${this.accessKeyId ?? "(none yet)"}, expiration: ${this.expiration?.toISOString() ?? "(none yet)"} }`;
  }
}
