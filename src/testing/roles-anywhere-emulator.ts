/**
 * A local IAM Roles Anywhere `CreateSession` endpoint that verifies what the
 * real service verifies — the SigV4-X509 signature, the certificate serial in
 * the credential, the clock, the certification path, the ARNs and the
 * duration — and answers with the real service's success and error shapes.
 *
 * Credentials it issues are recorded in an {@link IssuedCredentialStore}, so
 * an STS emulator sharing the store accepts them.
 *
 * @module
 */

import { constants, type KeyObject, randomUUID, verify, type X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  buildCertificationPath,
  certificateFromBase64,
  commonNameOf,
  parseCertificates,
  serialOf,
  validityError,
} from './certificate-path.js';
import {
  type EmulatorServer,
  headerValue,
  httpDate,
  type ListenOptions,
  type RecordedRequest,
  readBody,
  recordRequest,
  sleep,
  startEmulatorServer,
  FaultQueue,
} from './emulator-server.js';
import { IssuedCredentialStore } from './issued-credentials.js';
import { canonicalRequest, clockSkewError, parseAmzDate, parseAuthorization, sha256Hex, stringToSign } from './sigv4.js';

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

const ALGORITHM = { rsa: 'AWS4-X509-RSA-SHA256', ec: 'AWS4-X509-ECDSA-SHA256' } as const;
const SUPPORTED_CURVES = ['prime256v1', 'secp384r1', 'secp521r1'];
const MAX_BODY_BYTES = 64 * 1024;
const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;
const DEFAULT_DURATION_SECONDS = 3600;
const MAX_CHAIN_CERTIFICATES = 8;
const UNTRUSTED = 'Untrusted signing certificate';

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ARN_PATTERN = {
  trustAnchorArn: new RegExp(`^arn:${PARTITION}:rolesanywhere:${REGION}:\\d{12}:trust-anchor/${UUID}$`),
  profileArn: new RegExp(`^arn:${PARTITION}:rolesanywhere:${REGION}:\\d{12}:profile/${UUID}$`),
  roleArn: new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`),
} as const;
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** A rejection, carrying the status and `x-amzn-ErrorType` the real service would answer. */
class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const accessDenied = (message: string) => new ServiceError(403, 'AccessDeniedException', message);
const validation = (message: string) => new ServiceError(400, 'ValidationException', message);
const notFound = (message: string) => new ServiceError(404, 'ResourceNotFoundException', message);

interface TrustAnchorState {
  arn: string;
  certificates: X509Certificate[];
  enabled: boolean;
}

interface ProfileState {
  arn: string;
  roleArns: string[];
  durationSeconds: number;
  acceptRoleSessionName: boolean;
  enabled: boolean;
}

/** Everything a CreateSession verification depends on. */
interface ServiceState {
  region: string;
  accountId: string;
  now: () => number;
  trustAnchors: TrustAnchorState[];
  profiles: ProfileState[];
  issued: IssuedCredentialStore;
  lifetimeSeconds: number | undefined;
}

/**
 * Steps 1–4: the Authorization header, X-Amz-Date, the X-Amz-X509 certificate
 * and the credential scope, the signed header set, and the signature itself.
 */
function verifySignature(req: IncomingMessage, body: Buffer, state: ServiceState): X509Certificate {
  const parsed = parseAuthorization(headerValue(req, 'authorization'), Object.values(ALGORITHM));
  if (!parsed.ok) throw accessDenied(parsed.message);
  const auth = parsed.value;

  const amzDate = headerValue(req, 'x-amz-date');
  const amzMs = parseAmzDate(amzDate);
  if (amzDate === undefined || amzMs === undefined) {
    throw accessDenied('X-Amz-Date header is missing or not in the form YYYYMMDDTHHMMSSZ');
  }
  const skew = clockSkewError(amzDate, amzMs, state.now());
  if (skew) throw accessDenied(skew);

  const leaf = certificateFromBase64(headerValue(req, 'x-amz-x509') ?? '');
  if (!leaf) throw accessDenied('X-Amz-X509 header is missing or not a standard-base64 DER certificate');
  const serial = serialOf(leaf).toString(10);
  if (auth.credentialId !== serial) {
    throw accessDenied(
      `Credential '${auth.credentialId}' does not match the X-Amz-X509 certificate: it must be the certificate serial number in decimal (${serial})`,
    );
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw accessDenied(
      `Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  if (auth.scopeRegion !== state.region) {
    throw accessDenied(`Credential should be scoped to a valid region: '${auth.scopeRegion}' != '${state.region}'`);
  }
  if (auth.scopeService !== 'rolesanywhere') {
    throw accessDenied("Credential should be scoped to correct service: 'rolesanywhere'");
  }

  const required = ['host', 'x-amz-date', 'x-amz-x509'];
  if (req.headers['x-amz-x509-chain'] !== undefined) required.push('x-amz-x509-chain');
  if (req.headers['content-type'] !== undefined) required.push('content-type');
  const unsigned = required.filter((name) => !auth.signedHeaders.includes(name));
  if (unsigned.length > 0) throw accessDenied(`SignedHeaders must include ${unsigned.join(', ')}`);
  if (auth.signedHeaders.includes('authorization')) throw accessDenied('The Authorization header must not be signed');

  const canonical = canonicalRequest(
    { method: req.method ?? '', target: req.url ?? '/', rawHeaders: req.rawHeaders, payloadHash: sha256Hex(body) },
    auth.signedHeaders,
  );
  if (!canonical.ok) throw accessDenied(canonical.message);
  const toSign = stringToSign(auth.algorithm, amzDate, auth.scope, canonical.value);
  verifyCertificateSignature(leaf.publicKey, auth.algorithm, auth.signature, toSign);
  return leaf;
}

/** The key must be one Roles Anywhere accepts, the algorithm must match it, and the signature must verify. */
function verifyCertificateSignature(key: KeyObject, algorithm: string, signatureHex: string, toSign: string): void {
  const type = key.asymmetricKeyType;
  let expected: string;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw accessDenied(`Unsupported signing key: RSA-${bits}; RSA keys must be at least 2048 bits`);
    expected = ALGORITHM.rsa;
  } else if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (!curve || !SUPPORTED_CURVES.includes(curve)) {
      throw accessDenied(`Unsupported signing key: EC curve ${String(curve)}; use P-256, P-384 or P-521`);
    }
    expected = ALGORITHM.ec;
  } else {
    throw accessDenied(`Unsupported signing key type '${String(type)}'; use RSA or EC (P-256, P-384, P-521)`);
  }
  if (algorithm !== expected) {
    throw accessDenied(`Algorithm ${algorithm} does not match the certificate's ${type.toUpperCase()} key; use ${expected}`);
  }
  if (!/^(?:[0-9a-f]{2})+$/.test(signatureHex)) throw accessDenied('Invalid signature: Signature must be lower-case hex');
  let valid = false;
  try {
    // RSA: PKCS#1 v1.5 (not PSS). ECDSA: ASN.1 DER SEQUENCE{r,s} (a raw r||s fails here, as on AWS).
    const options =
      type === 'rsa' ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: 'der' as const };
    valid = verify('sha256', Buffer.from(toSign, 'utf8'), options, Buffer.from(signatureHex, 'hex'));
  } catch {
    valid = false;
  }
  if (!valid) {
    throw accessDenied(
      'Invalid signature: it does not verify with the X-Amz-X509 public key over the string to sign recomputed from this request',
    );
  }
}

/** Parses X-Amz-X509-Chain: comma-separated standard-base64 DER certificates, no spaces. */
function parseChain(req: IncomingMessage): X509Certificate[] {
  const header = headerValue(req, 'x-amz-x509-chain');
  if (header === undefined) return [];
  const certificates = header.split(',').map(certificateFromBase64);
  if (certificates.length > MAX_CHAIN_CERTIFICATES) throw accessDenied(`${UNTRUSTED}: X-Amz-X509-Chain is too long`);
  const valid = certificates.filter((cert): cert is X509Certificate => cert !== undefined);
  if (valid.length !== certificates.length) {
    throw accessDenied('X-Amz-X509-Chain must be comma-separated standard-base64 DER certificates without spaces');
  }
  return valid;
}

/**
 * Step 5: the trust anchors the leaf chains to, with every certificate of the
 * path inside its validity period. Fails when there is none.
 */
function anchoringTrustAnchors(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  state: ServiceState,
): Set<TrustAnchorState> {
  if (leaf.ca) throw accessDenied(`${UNTRUSTED}: the end-entity certificate is a CA certificate`);
  const nowMs = state.now();
  const anchoring = new Set<TrustAnchorState>();
  let outOfValidity: string | undefined;
  for (const anchor of state.trustAnchors) {
    const path = buildCertificationPath(leaf, intermediates, anchor.certificates);
    if (!path) continue;
    const invalid = path.map((cert) => validityError(cert, nowMs)).find((error) => error !== undefined);
    if (invalid) outOfValidity ??= invalid;
    else anchoring.add(anchor);
  }
  if (anchoring.size === 0) {
    throw accessDenied(
      outOfValidity ??
        `${UNTRUSTED}: no path from the X-Amz-X509 certificate through X-Amz-X509-Chain to a trust anchor`,
    );
  }
  return anchoring;
}

function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw validation('Request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw validation('Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** An ARN from the JSON body, or else from the query string (AWS's Go helper sends them there). */
function arnParameter(name: keyof typeof ARN_PATTERN, body: Record<string, unknown>, query: URLSearchParams): string {
  const value = body[name] ?? query.get(name) ?? undefined;
  if (value === undefined) {
    throw validation(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== 'string' || !ARN_PATTERN[name].test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ARN_PATTERN[name].source}`,
    );
  }
  return value;
}

function requestedDuration(body: Record<string, unknown>): number {
  const value = body['durationSeconds'] ?? DEFAULT_DURATION_SECONDS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_DURATION_SECONDS ||
    value > MAX_DURATION_SECONDS
  ) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`,
    );
  }
  return value;
}

/** A stable subject id per certificate subject and issuer, shaped like the service's subject ids. */
function subjectIdFor(leaf: X509Certificate): string {
  const hex = sha256Hex(`${leaf.subject}\n${leaf.issuer}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the service's expiration format (no milliseconds). */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The whole CreateSession verification, in the service's order, then issuance. Returns the 201 body. */
function createSession(req: IncomingMessage, body: Buffer, state: ServiceState): object {
  const leaf = verifySignature(req, body, state);
  const anchoring = anchoringTrustAnchors(leaf, parseChain(req), state);

  const input = parseJsonBody(body);
  const query = new URL(req.url ?? '/', 'http://emulator').searchParams;
  const trustAnchorArn = arnParameter('trustAnchorArn', input, query);
  const profileArn = arnParameter('profileArn', input, query);
  const roleArn = arnParameter('roleArn', input, query);

  const trustAnchor = state.trustAnchors.find((anchor) => anchor.arn === trustAnchorArn);
  if (!trustAnchor) throw notFound(`Trust anchor ${trustAnchorArn} not found`);
  const profile = state.profiles.find((candidate) => candidate.arn === profileArn);
  if (!profile) throw notFound(`Profile ${profileArn} not found`);
  if (!anchoring.has(trustAnchor)) {
    throw accessDenied(`${UNTRUSTED}: the certificate does not chain to trust anchor ${trustAnchorArn}`);
  }
  if (!trustAnchor.enabled) throw accessDenied(`Trust anchor ${trustAnchorArn} is disabled`);
  if (!profile.enabled) throw accessDenied(`Profile ${profileArn} is disabled`);
  if (!profile.roleArns.includes(roleArn)) {
    throw accessDenied(`Role ${roleArn} is not associated with profile ${profileArn}`);
  }

  const duration = Math.min(requestedDuration(input), profile.durationSeconds);
  const roleSessionName = input['roleSessionName'];
  if (roleSessionName !== undefined) {
    if (!profile.acceptRoleSessionName) {
      throw validation(`roleSessionName is not accepted by profile ${profileArn}`);
    }
    if (typeof roleSessionName !== 'string' || !ROLE_SESSION_NAME.test(roleSessionName)) {
      throw validation(
        `1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_SESSION_NAME.source}`,
      );
    }
  }

  const nowSeconds = Math.floor(state.now() / 1000);
  const expiresInSeconds = state.lifetimeSeconds ?? duration;
  const commonName = commonNameOf(leaf);
  const credentials = state.issued.issue({
    accountId: state.accountId,
    roleArn,
    // Without roleSessionName the service names the session after the certificate serial, in hex.
    roleSessionName: typeof roleSessionName === 'string' ? roleSessionName : serialOf(leaf).toString(16),
    expiration: new Date((nowSeconds + expiresInSeconds) * 1000),
    sourceIdentity: commonName === undefined ? leaf.subject.split('\n')[0] : `CN=${commonName}`,
  });
  return {
    credentialSet: [
      {
        assumedRoleUser: { arn: credentials.assumedRoleArn, assumedRoleId: credentials.assumedRoleId },
        credentials: {
          accessKeyId: credentials.accessKeyId,
          expiration: isoSeconds(credentials.expiration.getTime()),
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
        },
        packedPolicySize: 0,
        roleArn,
        sourceIdentity: credentials.sourceIdentity,
      },
    ],
    subjectArn: `arn:aws:rolesanywhere:${state.region}:${state.accountId}:subject/${subjectIdFor(leaf)}`,
  };
}

function resolveState(options: RolesAnywhereEmulatorOptions): ServiceState {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  if (!new RegExp(`^${REGION}$`).test(region)) throw new TypeError(`Invalid region: ${region}`);
  if (!/^\d{12}$/.test(accountId)) throw new TypeError(`Invalid account id: ${accountId}`);
  const arnPrefix = `arn:aws:rolesanywhere:${region}:${accountId}`;
  const checked = (arn: string, kind: keyof typeof ARN_PATTERN): string => {
    if (!ARN_PATTERN[kind].test(arn)) throw new TypeError(`Invalid ${kind}: ${arn} (must match ${ARN_PATTERN[kind].source})`);
    return arn;
  };
  const trustAnchors = options.trustAnchors.map((anchor) => ({
    arn: checked(anchor.arn ?? `${arnPrefix}:trust-anchor/${randomUUID()}`, 'trustAnchorArn'),
    certificates: anchor.certificates.flatMap(parseCertificates),
    enabled: anchor.enabled ?? true,
  }));
  const profiles = options.profiles.map((profile) => ({
    arn: checked(profile.arn ?? `${arnPrefix}:profile/${randomUUID()}`, 'profileArn'),
    roleArns: profile.roleArns.map((arn) => checked(arn, 'roleArn')),
    durationSeconds: profile.durationSeconds ?? DEFAULT_DURATION_SECONDS,
    acceptRoleSessionName: profile.acceptRoleSessionName ?? false,
    enabled: profile.enabled ?? true,
  }));
  if (options.lifetimeSeconds !== undefined && !(options.lifetimeSeconds > 0)) {
    throw new TypeError('lifetimeSeconds must be positive');
  }
  return {
    region,
    accountId,
    now: options.now ?? Date.now,
    trustAnchors,
    profiles,
    issued: options.issued ?? new IssuedCredentialStore(),
    lifetimeSeconds: options.lifetimeSeconds,
  };
}

/**
 * Starts a Roles Anywhere emulator on loopback (HTTP, or HTTPS with `tls`).
 *
 * @example
 * ```ts
 * const ca = await createTestCertificateAuthority();
 * const device = await ca.issue({ commonName: 'device-1' });
 * const ra = await startRolesAnywhereEmulator({
 *   trustAnchors: [{ certificates: [ca.certificatePem] }],
 *   profiles: [{ roleArns: ['arn:aws:iam::123456789012:role/Device'] }],
 * });
 * // point the client at ra.url with ra.trustAnchorArn, ra.profileArn, ra.roleArn
 * await ra.close();
 * ```
 */
export async function startRolesAnywhereEmulator(options: RolesAnywhereEmulatorOptions): Promise<RolesAnywhereEmulator> {
  const state = resolveState(options);
  const firstAnchor = state.trustAnchors[0];
  const firstProfile = state.profiles[0];
  const firstRole = firstProfile?.roleArns[0];
  if (!firstAnchor || !firstProfile || !firstRole) {
    throw new TypeError('At least one trust anchor and one profile with one role are required');
  }

  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue<RolesAnywhereFault>();
  let createSessionCount = 0;
  let server: EmulatorServer | undefined;

  function send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      // The emulator's clock, so a client can measure and correct its skew.
      Date: httpDate(state.now()),
      'x-amzn-RequestId': randomUUID(),
      ...headers,
    });
    res.end(body);
  }

  function sendError(res: ServerResponse, record: RecordedRequest, error: ServiceError, headers = {}): void {
    record.errorType = error.errorType;
    send(res, record, error.status, JSON.stringify({ message: error.message }), {
      'x-amzn-ErrorType': error.errorType,
      ...headers,
    });
  }



  /** Applies a fault; returns true when it answered (or deliberately did not). */
  async function applyFault(
    fault: RolesAnywhereFault,
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
  ): Promise<boolean> {
    if (fault.delayMs && server) await sleep(fault.delayMs, server.closing);
    if (server?.closing.aborted) return true;
    if (fault.resetConnection) {
      // A TCP RST (not a clean FIN), which clients see as ECONNRESET.
      req.socket.resetAndDestroy();
      return true;
    }
    if (fault.hang) return true; // close() destroys the socket.
    if (fault.resetMidBody) {
      // Headers and the start of a 201 body, then a TCP RST: the client sees a truncated answer.
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': '2048' });
      res.write('{"credentialSet":[{"credentials":{"accessKeyId":"ASIA');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
      return true;
    }
    if (fault.malformedBody) {
      send(res, record, 201, '<html><body>502 Bad Gateway</body></html>');
      return true;
    }
    if (
      fault.status !== undefined ||
      fault.errorType !== undefined ||
      fault.message !== undefined ||
      fault.retryAfterSeconds !== undefined
    ) {
      const errorType = fault.errorType ?? 'InternalServerException';
      const error = new ServiceError(fault.status ?? 500, errorType, fault.message ?? `Injected ${errorType}`);
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      sendError(res, record, error, headers);
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const { body, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    record.body = body.toString('utf8');
    if (tooLarge) {
      sendError(res, record, new ServiceError(413, 'ValidationException', `Request body exceeds ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const fault = faults.next();
    if (fault && (await applyFault(fault, req, res, record))) return;

    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/sessions') {
      sendError(res, record, new ServiceError(404, 'UnknownOperationException', `No operation for ${req.method} ${path}`));
      return;
    }
    try {
      const answer = createSession(req, body, state);
      createSessionCount += 1;
      send(res, record, 201, JSON.stringify(answer));
    } catch (error) {
      if (error instanceof ServiceError) sendError(res, record, error);
      else throw error;
    }
  }

  server = await startEmulatorServer((req, res) => {
    const record = recordRequest(req);
    requests.push(record);
    handle(req, res, record).catch((error: unknown) => {
      // An emulator bug (or an aborted upload), not a client error: answer as the service would, with the cause.
      const message = `Internal emulator error: ${error instanceof Error ? error.message : String(error)}`;
      if (!res.headersSent) sendError(res, record, new ServiceError(500, 'InternalServerException', message));
    });
  }, options);

  return {
    url: server.url,
    region: state.region,
    accountId: state.accountId,
    trustAnchorArn: firstAnchor.arn,
    profileArn: firstProfile.arn,
    roleArn: firstRole,
    issued: state.issued,
    requests,
    get createSessionCount() {
      return createSessionCount;
    },
    inject(fault) {
      faults.push(fault);
    },
    clearFaults() {
      faults.clear();
    },
    close: () => (server ? server.close() : Promise.resolve()),
  };
}
