/**
 * The public shapes of the Roles Anywhere emulator: its configuration, its
 * scripted faults and the running emulator.
 *
 * @module
 */

import type { X509Certificate } from "node:crypto";
import type { ListenOptions, RecordedRequest } from "../emulator-server.js";
import type { IssuedCredentialStore } from "../issued-credentials.js";

/** A trust anchor: a bundle of CA certificates a signing certificate may chain to. */
export interface RolesAnywhereTrustAnchorConfig {
  /** Default: `arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<random uuid>`. */
  arn?: string;
  /** CA certificates: PEM strings (bundles allowed) or parsed certificates. */
  certificates: (string | X509Certificate)[];
  /** Default true. A disabled trust anchor answers 403 AccessDeniedException. */
  enabled?: boolean;
}

/** A profile: which roles may be assumed, for how long at most. */
export interface RolesAnywhereProfileConfig {
  /** Default: `arn:aws:rolesanywhere:<region>:<account>:profile/<random uuid>`. */
  arn?: string;
  /** Role ARNs the profile allows (`arn:aws:iam::<account>:role/<name>`). */
  roleArns: string[];
  /** The profile's maximum session duration. Default 3600. */
  durationSeconds?: number;
  /** Whether requests may set `roleSessionName`. Default false. */
  acceptRoleSessionName?: boolean;
  /** Default true. A disabled profile answers 403 AccessDeniedException. */
  enabled?: boolean;
}

/** Options for {@link startRolesAnywhereEmulator}. */
export interface RolesAnywhereEmulatorOptions extends ListenOptions {
  /** Default `'us-east-1'`. Requests must be scoped to this region. */
  region?: string;
  /** Default `'123456789012'`. */
  accountId?: string;
  /** At least one. */
  trustAnchors: RolesAnywhereTrustAnchorConfig[];
  /** At least one, the first with at least one role. */
  profiles: RolesAnywhereProfileConfig[];
  /** The emulator's clock in epoch ms, for `X-Amz-Date`, certificate validity, expirations and the `Date` header. Default `Date.now`. */
  now?: () => number;
  /** Where issued credentials are recorded. Default: a new store (see {@link RolesAnywhereEmulator.issued}). */
  issued?: IssuedCredentialStore;
  /**
   * Test-only: credentials expire after this many seconds whatever the
   * requested duration, for short-lived refresh and soak tests.
   */
  lifetimeSeconds?: number;
}

/**
 * A scripted failure. Faults are queued; each applies to the next `times`
 * requests (default 1), before any verification.
 *
 * `delayMs` alone delays a normal answer; combined with another field it
 * delays that fault.
 */
export interface RolesAnywhereFault {
  /** Answer this status (default 500 when `errorType`, `message` or `retryAfterSeconds` is set). */
  status?: number;
  /** `x-amzn-ErrorType` of the answer, e.g. `ThrottlingException`. */
  errorType?: string;
  /** `message` of the JSON body. */
  message?: string;
  /** Adds `Retry-After: <seconds>`. */
  retryAfterSeconds?: number;
  /** Wait this long first. */
  delayMs?: number;
  /** Answer 201 with a body that is not JSON. */
  malformedBody?: boolean;
  /** Reset the TCP connection without answering. */
  resetConnection?: boolean;
  /** Answer 201 headers and part of the body, then reset the connection. */
  resetMidBody?: boolean;
  /** Never answer (until `close()`), to exercise client timeouts. */
  hang?: boolean;
  /** How many requests this fault applies to. Default 1. */
  times?: number;
}

/** A running emulator. */
export interface RolesAnywhereEmulator {
  /** Base URL (`http://127.0.0.1:<port>` or `https://…`). */
  url: string;
  region: string;
  accountId: string;
  /** ARN of the first trust anchor. */
  trustAnchorArn: string;
  /** ARN of the first profile. */
  profileArn: string;
  /** First role of the first profile. */
  roleArn: string;
  /** Every credential issued, by access key id. */
  issued: IssuedCredentialStore;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Number of successful (201) CreateSession answers. */
  readonly createSessionCount: number;
  /** Queues a fault for the next request(s). */
  inject(fault: RolesAnywhereFault): void;
  /** Drops all queued faults. */
  clearFaults(): void;
  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void>;
}
