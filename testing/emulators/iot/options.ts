/**
 * The public shapes of the IoT credential provider emulator: the account it
 * plays (things, role aliases, registered certificates), its scripted faults,
 * what it records and the running emulator.
 *
 * @module
 */

import type { RecordedRequest } from "../emulator-server.js";
import type { IssuedCredentialStore } from "../issued-credentials.js";

/** A role alias and what stands behind it. */
export interface IotRoleAliasConfig {
  /** The alias name, as in `/role-aliases/<alias>/credentials`. */
  alias: string;
  /** The IAM role the alias points at: `arn:aws:iam::<account>:role/<name>`. */
  roleArn: string;
  /** Lifetime of the credentials, 900–43200 s. Default 3600. */
  credentialDurationSeconds?: number;
  /** Whether the certificate's IoT policy allows `iot:AssumeRoleWithCertificate` on the alias. Default true. */
  policyAllows?: boolean;
  /** Whether the role exists and trusts `credentials.iot.amazonaws.com`. Default true. */
  roleAssumable?: boolean;
  /** The role's `MaxSessionDuration` in seconds. Default 3600 (IAM's default). */
  maxSessionDuration?: number;
}

/** A thing and the certificates attached to it (PEM). */
export interface IotThingConfig {
  name: string;
  certificates: string[];
}

/** Options for {@link startIotCredentialEmulator}. */
export interface IotCredentialEmulatorOptions {
  /** The endpoint's certificate (PEM, chain allowed) and key, e.g. issued by a test CA for `127.0.0.1`/`localhost`. */
  serverCertificate: { cert: string; key: string };
  /** CA certificates registered in the account (PEM): client certificates they issued are known. */
  registeredCas?: string[];
  /** Certificates registered on their own, without their CA (PEM). */
  registeredCertificates?: string[];
  /** Known certificates whose status is INACTIVE (PEM); see also {@link IotCredentialEmulator.setCertificateActive}. */
  inactiveCertificates?: string[];
  /**
   * What happens to a client certificate that is neither issued by a
   * registered CA nor registered itself: `'drop-connection'` (default) closes
   * the connection right after the TLS handshake, as Node's TLS server does
   * when it refuses a client certificate; `'forbidden'` answers
   * 403 "Certificate is invalid on this endpoint".
   */
  unknownCertificates?: "drop-connection" | "forbidden";
  /** Things and their attached certificates. */
  things: IotThingConfig[];
  roleAliases: IotRoleAliasConfig[];
  /** Where issued credentials are recorded. Default: a new store. */
  issued?: IssuedCredentialStore;
  /** The emulator's clock in epoch ms, for expirations and the `Date` header. Default `Date.now`. */
  now?: () => number;
  /** Test-only: credentials expire after this many seconds whatever the alias says. */
  lifetimeSeconds?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** How long an idle keep-alive connection stays open (Node's default is 5000 ms). */
  keepAliveTimeoutMs?: number;
}

/**
 * A scripted failure, applied to the next `times` requests (default 1)
 * before any check. `delayMs` alone delays a normal answer.
 */
export interface IotFault {
  /** Answer this status (default 500 when `message` or `errorType` is set). */
  status?: number;
  /** `message` of the JSON body. */
  message?: string;
  /** Adds `x-amzn-ErrorType`. */
  errorType?: string;
  /** Adds `Retry-After: <seconds>`. */
  retryAfterSeconds?: number;
  delayMs?: number;
  /** Reset the connection without answering. */
  resetConnection?: boolean;
  /** Answer 200 headers and part of the body, then reset the connection. */
  resetMidBody?: boolean;
  /** Never answer (until `close()`). */
  hang?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformedBody?: boolean;
  times?: number;
}

/** A request as the emulator saw it, with what the TLS layer told. */
export interface IotRecordedRequest extends RecordedRequest {
  /** The SNI host name the client sent, or undefined without SNI. */
  servername: string | undefined;
  /** AWS IoT's id (SHA-256 of the DER) of the client certificate, when one was presented. */
  clientCertificateId: string | undefined;
  /** Whether the connection resumed an earlier TLS session. */
  resumedSession: boolean;
}

/** TLS handshakes the emulator completed. */
export interface IotHandshakeCounts {
  total: number;
  /** Abbreviated handshakes that resumed an earlier session. */
  resumed: number;
  /** Connections dropped because the client certificate is unknown. */
  refused: number;
}

/** A running IoT credential provider emulator. */
export interface IotCredentialEmulator {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  host: string;
  port: number;
  issued: IssuedCredentialStore;
  requests: IotRecordedRequest[];
  /** Live counters. */
  handshakes: IotHandshakeCounts;
  /** Successful (200) answers so far. */
  readonly credentialsIssued: number;
  /** Queues a scripted failure for the next requests (see {@link IotFault}). */
  inject(fault: IotFault): void;
  /** Empties the queue of scripted failures. */
  clearFaults(): void;
  /** Sets a known certificate ACTIVE or INACTIVE (`aws iot update-certificate`). */
  setCertificateActive(certificatePem: string, active: boolean): void;
  /** Closes idle keep-alive connections, as a server's idle timeout does between two refreshes. */
  dropConnections(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}
