import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { parseLogLevel } from "../../core/logger.js";
import { DeferredSource } from "../../mechanisms/deferred-source.js";
import { checkIotOptions, IOT_NAME, IOT_OPTIONS, type IotInit } from "../../mechanisms/iot/options.js";
import type { IotCredentialSource } from "../../mechanisms/iot/source.js";
import { CredentialSession, checkSessionInit, type SessionOptions, sessionLogger } from "./credential-session.js";

/** Init of {@link fromIotCredentialProvider} and {@link IotCredentialSession}. */
export type IotSessionInit = IotInit & SessionOptions;

/**
 * Credentials from the AWS IoT Core credential provider, like Python's
 * `Boto3SessionProvider(...).get_session(region=...)`: options are checked at
 * once, nothing is fetched before the first {@link CredentialSession.getCredentials}
 * (or the first SDK call), and certificate and key files are read again at
 * each refresh.
 *
 * @example
 * ```ts
 * const session = new IotCredentialSession({
 *   endpoint: "c2abcdefgh1234.credentials.iot.us-east-1.amazonaws.com",
 *   roleAlias: "device-role-alias",
 *   thingName: "device-001",
 *   certificate: "/etc/device/cert.pem",
 *   privateKey: "/etc/device/key.pem",
 * });
 * const s3 = new S3Client(session.clientConfig());
 * ```
 */
export class IotCredentialSession extends CredentialSession {
  /** The endpoint credentials come from. */
  readonly endpoint: URL;

  constructor(init: IotSessionInit) {
    checkSessionInit(init, IOT_OPTIONS, "The AWS IoT init");
    const level = parseLogLevel(init.logLevel);
    const logger = sessionLogger(init);
    // The session's logger filters again on its own destination (the SDK client's logger may come later).
    const sourceInit = { ...init, logger };
    const checked = checkIotOptions(sourceInit);
    // The mutual-TLS and answer-parsing code loads at the first fetch (see DeferredSource).
    const source = new DeferredSource(IOT_NAME, async () => new (await import("../../mechanisms/runtime.js")).IotCredentialSource(sourceInit, checked));
    super(source, logger, init);
    if (init.verifyPeer === false && init.logger === undefined && level === undefined) {
      // No log configured yet (an SDK client's logger may come later): say it where it cannot be missed.
      process.emitWarning(
        `certcreds: verifyPeer is false for ${checked.endpoint.host}: the credential provider's certificate is NOT verified. Use this only against a local emulator; pass ca instead.`,
        { code: "CERTCREDS_VERIFY_PEER_DISABLED" },
      );
    }
    this.endpoint = checked.endpoint;
    this.defaultRegion = checked.region;
  }

  /** The region `clientConfig()` uses by default: the endpoint's, or the `region` option. */
  get region(): string | undefined {
    return this.defaultRegion;
  }

  /** TLS handshakes made so far, and how many of them resumed a session (diagnostics). */
  get tlsHandshakes(): { total: number; resumed: number } {
    const source = (this.source as DeferredSource<IotCredentialSource>).loaded;
    return { total: source?.tlsHandshakes ?? 0, resumed: source?.resumedTlsSessions ?? 0 };
  }
}

/**
 * An AWS SDK v3 credential provider for the AWS IoT Core credential provider:
 * `new S3Client({ region, credentials: fromIotCredentialProvider({ endpoint, roleAlias, thingName, certificate, privateKey }) })`.
 * One provider caches for every client it is given to.
 */
export function fromIotCredentialProvider(init: IotSessionInit): AwsCredentialIdentityProvider {
  return new IotCredentialSession(init).provider;
}
