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
  /** Stable machine-readable code, e.g. `ERR_CERTCREDS_KEY_MISMATCH`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, { tryNextLink: false, ...(options && "cause" in options ? { cause: options.cause } : {}) });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A certificate, chain or key input could not be read (missing file, permissions). */
export class InputReadError extends CertcredsError {
  constructor(
    readonly input: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("ERR_CERTCREDS_INPUT_READ", message, options);
  }
}

/** An input is neither PEM nor DER of the expected kind. */
export class InputFormatError extends CertcredsError {
  constructor(
    readonly input: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("ERR_CERTCREDS_INPUT_FORMAT", message, options);
  }
}

/** The private key is encrypted and no (or a wrong) passphrase was given. */
export class PassphraseError extends CertcredsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CERTCREDS_PASSPHRASE", message, options);
  }
}

/** The key type or size is not one AWS accepts (RSA ≥ 2048, EC P-256/P-384/P-521). */
export class UnsupportedKeyError extends CertcredsError {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super("ERR_CERTCREDS_UNSUPPORTED_KEY", message);
  }
}

/** The private key does not belong to the certificate. */
export class KeyMismatchError extends CertcredsError {
  constructor(message: string) {
    super("ERR_CERTCREDS_KEY_MISMATCH", message);
  }
}

/** The certificate (or a chain certificate) is expired or not yet valid. */
export class CertificateValidityError extends CertcredsError {
  constructor(
    message: string,
    readonly notBefore: Date,
    readonly notAfter: Date,
  ) {
    super("ERR_CERTCREDS_CERTIFICATE_VALIDITY", message);
  }
}

/** The intermediates do not link the certificate to an issuer. */
export class CertificateChainError extends CertcredsError {
  constructor(message: string) {
    super("ERR_CERTCREDS_CHAIN", message);
  }
}

/** An option is missing or malformed (ARN, region, duration, endpoint...). */
export class ConfigurationError extends CertcredsError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super("ERR_CERTCREDS_CONFIGURATION", message);
  }
}

/** The request never got an HTTP answer: DNS, connection, TLS, time-out. */
export class NetworkError extends CertcredsError {
  constructor(
    /** What failed: `dns`, `connect`, `reset`, `timeout`, `tls-server-untrusted`, `tls-client-refused`, `tls`, `proxy`, `body-too-large`. */
    readonly kind: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("ERR_CERTCREDS_NETWORK", message, options);
  }

  /** Whether trying again may help. */
  get retryable(): boolean {
    return this.kind === "dns" || this.kind === "connect" || this.kind === "reset" || this.kind === "timeout";
  }
}

/** The service answered with an error. Keeps the service's own type and message. */
export class ServiceError extends CertcredsError {
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
    super("ERR_CERTCREDS_SERVICE", message);
  }

  /** Throttling and server errors are worth retrying; other 4xx are not. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The service answered success with a body certcreds cannot use. */
export class ResponseFormatError extends CertcredsError {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super("ERR_CERTCREDS_RESPONSE_FORMAT", message);
  }
}

/** Whether an error is worth retrying with backoff. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof ServiceError) return error.retryable;
  return error instanceof ResponseFormatError;
}
