/**
 * Typed errors. Every error certcreds throws is a {@link CertcredsError}: its
 * `code` is stable for programs, its `message` names the input at fault and
 * the fix for people. No message ever contains key material or secrets.
 *
 * @packageDocumentation
 */

/**
 * Same shape and semantics as `CredentialsProviderError` of
 * `@smithy/property-provider`: the SDK's provider chain only reads
 * `tryNextLink`. Defined here because importing that package costs tens of
 * milliseconds at start-up.
 */
export class CredentialsProviderError extends Error {
  /** When false, a provider chain stops here instead of trying the next provider. */
  readonly tryNextLink: boolean;

  constructor(message: string, options: boolean | { tryNextLink?: boolean; cause?: unknown } = true) {
    const tryNextLink = typeof options === "boolean" ? options : (options.tryNextLink ?? true);
    super(message, typeof options === "object" && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "CredentialsProviderError";
    this.tryNextLink = tryNextLink;
  }
}

/**
 * Base of every certcreds error. `tryNextLink` is false: a configuration that
 * names a certificate but is broken must not silently fall through to
 * another credential source.
 */
export class CertcredsError extends CredentialsProviderError {
  /** The code of every error of this class, for checks without an instance: `error.code === KeyMismatchError.code`. */
  static code = "ERR_CERTCREDS";
  /** Stable machine-readable code, e.g. `ERR_CERTCREDS_KEY_MISMATCH`. */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string });
  /** The form of certcreds 0.1: the code first. */
  constructor(code: string, message: string, options?: { cause?: unknown });
  constructor(first: string, second?: string | { cause?: unknown; code?: string }, third?: { cause?: unknown }) {
    const [code, message, options] = typeof second === "string" ? [first, second, third] : [second?.code, first, second];
    super(message, { tryNextLink: false, ...(options && "cause" in options ? { cause: options.cause } : {}) });
    this.name = new.target.name;
    this.code = code ?? (new.target as typeof CertcredsError).code;
  }
}

/**
 * The "fix your inputs" family: a certificate, key, chain or option that
 * cannot be used as given. Trying again does not help; changing the input
 * does. The CLI exits with code 3 for these.
 */
export class InputError extends CertcredsError {
  static override code = "ERR_CERTCREDS_INPUT";
}

/** A certificate, chain or key input could not be read (missing file, permissions). */
export class InputReadError extends InputError {
  static override code = "ERR_CERTCREDS_INPUT_READ";
  constructor(
    readonly input: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An input is neither PEM nor DER of the expected kind. */
export class InputFormatError extends InputError {
  static override code = "ERR_CERTCREDS_INPUT_FORMAT";
  constructor(
    readonly input: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The private key is encrypted and no (or a wrong) passphrase was given. */
export class PassphraseError extends InputError {
  static override code = "ERR_CERTCREDS_PASSPHRASE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The key type or size is not one AWS accepts (RSA ≥ 2048, EC P-256/P-384/P-521). */
export class UnsupportedKeyError extends InputError {
  static override code = "ERR_CERTCREDS_UNSUPPORTED_KEY";
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The key or certificate is of a type AWS accepts but this JavaScript runtime
 * cannot use (ML-DSA before Node.js 24.6): a newer runtime is the fix, not
 * another key.
 */
export class UnsupportedRuntimeError extends UnsupportedKeyError {
  static override code = "ERR_CERTCREDS_UNSUPPORTED_RUNTIME";
  constructor(
    input: string,
    message: string,
    /** The runtime that reads it, e.g. `Node.js 24.6`. */
    readonly requires: string,
  ) {
    super(input, message);
  }
}

/** The private key does not belong to the certificate. */
export class KeyMismatchError extends InputError {
  static override code = "ERR_CERTCREDS_KEY_MISMATCH";
  constructor(message: string) {
    super(message);
  }
}

/** The certificate (or a chain certificate) is expired or not yet valid. */
export class CertificateValidityError extends InputError {
  static override code = "ERR_CERTCREDS_CERTIFICATE_VALIDITY";
  constructor(
    message: string,
    readonly notBefore: Date,
    readonly notAfter: Date,
  ) {
    super(message);
  }
}

/** The intermediates do not link the certificate to an issuer. */
export class CertificateChainError extends InputError {
  static override code = "ERR_CERTCREDS_CHAIN";
  constructor(message: string) {
    super(message);
  }
}

/** An option is missing or malformed (ARN, region, duration, endpoint...). */
export class ConfigurationError extends InputError {
  static override code = "ERR_CERTCREDS_CONFIGURATION";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What part of a request failed before any HTTP answer:
 * - `dns`: the host name does not resolve;
 * - `connect`: no connection (refused, unreachable, timed out while connecting);
 * - `reset`: the connection closed before a full answer;
 * - `timeout`: no complete answer within the deadline;
 * - `tls-server-untrusted`: the server's certificate is not trusted;
 * - `tls-client-refused`: the server refused the client certificate (mutual TLS);
 * - `tls`: any other TLS handshake failure;
 * - `proxy`: the proxy refused or failed the tunnel;
 * - `body-too-large`: the answer exceeded the size cap.
 */
export type NetworkErrorKind = "dns" | "connect" | "reset" | "timeout" | "tls-server-untrusted" | "tls-client-refused" | "tls" | "proxy" | "body-too-large";

/** The request never got an HTTP answer: DNS, connection, TLS, time-out. */
export class NetworkError extends CertcredsError {
  static override code = "ERR_CERTCREDS_NETWORK";
  constructor(
    /** What failed (see {@link NetworkErrorKind}). */
    readonly kind: NetworkErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether trying again may help. */
  get retryable(): boolean {
    return this.kind === "dns" || this.kind === "connect" || this.kind === "reset" || this.kind === "timeout";
  }
}

/** The service answered with an error. Keeps the service's own type and message. */
export class ServiceError extends CertcredsError {
  static override code = "ERR_CERTCREDS_SERVICE";
  constructor(
    /** `rolesanywhere` or `iot`. */
    readonly service: string,
    readonly status: number,
    /** The service's error type (`x-amzn-ErrorType`), when it sent one. */
    readonly errorType: string | undefined,
    /** The service's own message, unchanged. */
    readonly serviceMessage: string,
    message: string,
    /** Seconds the service asked to wait (`Retry-After`), when given. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Throttling and server errors are worth retrying; other 4xx are not. */
  get retryable(): boolean {
    return this.throttling || this.status >= 500;
  }

  /** Whether the service is throttling the caller: HTTP 429, or a throttling error type (some AWS APIs send those with 400). */
  get throttling(): boolean {
    return this.status === 429 || (this.errorType !== undefined && THROTTLING_TYPES.has(this.errorType));
  }
}

/** The error types AWS services use for throttling (those the AWS SDKs treat as such and that answer a request, not a quota of resources). */
const THROTTLING_TYPES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "SlowDown",
]);

/** The service answered success with a body certcreds cannot use. */
export class ResponseFormatError extends CertcredsError {
  static override code = "ERR_CERTCREDS_RESPONSE_FORMAT";
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Gives classes their names explicitly. The published library bundle minifies
 * identifiers (less for V8 to parse in a fresh process), and a class is then
 * named after the binding it was bundled as; `error.name` (set from the class
 * name) and a session's inspected form are what users see and match on. Called
 * by the package entry (src/index.ts) for every class it exports, not here:
 * a call naming every error class would keep them all in bundles that use a
 * few (the CLI's launcher).
 */
export function nameClasses(classes: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(classes)) {
    if (typeof value === "function" && /^[A-Z]/.test(name)) Object.defineProperty(value, "name", { value: name, configurable: true });
  }
}

/** Whether an error is worth retrying with backoff. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof ServiceError) return error.retryable;
  return error instanceof ResponseFormatError;
}
