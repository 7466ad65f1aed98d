/**
 * A local STS endpoint that answers `GetCallerIdentity` for credentials found
 * in an {@link IssuedCredentialStore} — the proof that credentials vended by
 * an emulator are real SigV4 credentials a stock AWS SDK can use.
 *
 * It verifies standard SigV4 (`AWS4-HMAC-SHA256`) from scratch and answers
 * with STS's own error codes. Both wire protocols a current SDK may use are
 * served: the awsQuery form (`Action=GetCallerIdentity&Version=2011-06-15`,
 * XML answers; what `@aws-sdk/client-sts` v3 sends) and AWS JSON 1.0
 * (`X-Amz-Target: AWSSecurityTokenServiceV20110615.GetCallerIdentity`).
 *
 * @module
 */

import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type EmulatorServer,
  headerValue,
  httpDate,
  type ListenOptions,
  type RecordedRequest,
  readBody,
  recordRequest,
  startEmulatorServer,
} from './emulator-server.js';
import type { IssuedCredentials, IssuedCredentialStore } from './issued-credentials.js';
import {
  canonicalRequest,
  clockSkewError,
  hmacSignature,
  parseAmzDate,
  parseAuthorization,
  sha256Hex,
  signingKey,
  stringToSign,
} from './sigv4.js';

/** Options for {@link startStsEmulator}. */
export interface StsEmulatorOptions extends ListenOptions {
  /** The credentials to accept: usually the `issued` store of a Roles Anywhere emulator. */
  issued: IssuedCredentialStore;
  /** Region requests must be scoped to. Default `'us-east-1'` (what SDKs use for the global endpoint). */
  region?: string;
  /** The emulator's clock in epoch ms, for `X-Amz-Date` and expiry checks. Default `Date.now`. */
  now?: () => number;
}

/** A running STS emulator. */
export interface StsEmulator {
  /** Base URL, to pass as the client's `endpoint`. */
  url: string;
  region: string;
  /** Every request received, in arrival order; `errorType` is the STS error code. */
  requests: RecordedRequest[];
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'sts';
const API_VERSION = '2011-06-15';
const JSON_TARGET = 'AWSSecurityTokenServiceV20110615.GetCallerIdentity';
const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const MAX_BODY_BYTES = 64 * 1024;

/** An STS error: HTTP status, `Sender`/`Receiver` type and error code, as in STS's ErrorResponse. */
class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

type Protocol = 'query' | 'json';

/** The operation a request asks for, and which protocol to answer in. */
function operationOf(req: IncomingMessage, body: string): { protocol: Protocol; action: string | undefined } {
  const contentType = headerValue(req, 'content-type') ?? '';
  if (contentType.startsWith('application/x-amz-json-1.0')) {
    const target = headerValue(req, 'x-amz-target') ?? '';
    return { protocol: 'json', action: target === JSON_TARGET ? 'GetCallerIdentity' : target || undefined };
  }
  // awsQuery: parameters in a form-encoded POST body, or in the query string of a GET.
  const query = (req.url ?? '').split('?')[1] ?? '';
  const params = new URLSearchParams(req.method === 'POST' ? body : query);
  const version = params.get('Version');
  if (version !== null && version !== API_VERSION) {
    throw new StsError(400, 'InvalidAction', `Could not find operation ${params.get('Action')} for version ${version}`);
  }
  return { protocol: 'query', action: params.get('Action') ?? undefined };
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** SigV4 verification against the issued credential store; returns the caller's credentials. */
function authenticate(
  req: IncomingMessage,
  body: Buffer,
  options: { issued: IssuedCredentialStore; region: string; now: () => number },
): IssuedCredentials {
  const header = headerValue(req, 'authorization');
  if (header === undefined) throw new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const parsed = parseAuthorization(header, [ALGORITHM]);
  if (!parsed.ok) throw new StsError(400, 'IncompleteSignature', parsed.message);
  const auth = parsed.value;

  const credentials = options.issued.get(auth.credentialId);
  if (!credentials) throw new StsError(403, 'InvalidClientTokenId', INVALID_TOKEN);
  const token = headerValue(req, 'x-amz-security-token');
  if (token === undefined || !constantTimeEqual(token, credentials.sessionToken)) {
    throw new StsError(403, 'InvalidClientTokenId', INVALID_TOKEN);
  }

  const amzDate = headerValue(req, 'x-amz-date');
  const amzMs = parseAmzDate(amzDate);
  if (amzDate === undefined || amzMs === undefined) {
    throw new StsError(400, 'IncompleteSignature', 'AWS authentication requires a valid X-Amz-Date header (YYYYMMDDTHHMMSSZ)');
  }
  const nowMs = options.now();
  const skew = clockSkewError(amzDate, amzMs, nowMs);
  if (skew) throw new StsError(403, 'SignatureDoesNotMatch', skew);
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw new StsError(
      403,
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  if (auth.scopeRegion !== options.region) {
    throw new StsError(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to a valid region: '${auth.scopeRegion}' != '${options.region}'`,
    );
  }
  if (auth.scopeService !== SERVICE) {
    throw new StsError(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${SERVICE}'`);
  }
  for (const name of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(name)) {
      throw new StsError(403, 'SignatureDoesNotMatch', `'${name}' must be a signed header`);
    }
  }

  const payloadHash = sha256Hex(body);
  const declared = headerValue(req, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== payloadHash) {
    throw new StsError(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const canonical = canonicalRequest(
    { method: req.method ?? '', target: req.url ?? '/', rawHeaders: req.rawHeaders, payloadHash },
    auth.signedHeaders,
  );
  if (!canonical.ok) throw new StsError(403, 'SignatureDoesNotMatch', canonical.message);
  const key = signingKey(credentials.secretAccessKey, auth.scopeDate, auth.scopeRegion, SERVICE);
  const expected = hmacSignature(key, stringToSign(ALGORITHM, amzDate, auth.scope, canonical.value));
  if (!constantTimeEqual(expected, auth.signature)) throw new StsError(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);

  // Checked after the signature, as STS does: only a correctly signed request learns its token expired.
  if (nowMs >= credentials.expiration.getTime()) {
    throw new StsError(403, 'ExpiredToken', 'The security token included in the request is expired');
  }
  return credentials;
}

function escapeXml(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

/** Serialises the success or error answer in the request's protocol. */
function render(
  protocol: Protocol,
  requestId: string,
  outcome: { identity: IssuedCredentials } | { error: StsError },
): { contentType: string; body: string; headers: Record<string, string> } {
  if ('identity' in outcome) {
    const { assumedRoleArn, assumedRoleId, accountId } = outcome.identity;
    if (protocol === 'json') {
      return {
        contentType: 'application/x-amz-json-1.0',
        body: JSON.stringify({ UserId: assumedRoleId, Account: accountId, Arn: assumedRoleArn }),
        headers: {},
      };
    }
    return {
      contentType: 'text/xml',
      body:
        `<GetCallerIdentityResponse xmlns="${XMLNS}">\n` +
        '  <GetCallerIdentityResult>\n' +
        `    <Arn>${escapeXml(assumedRoleArn)}</Arn>\n` +
        `    <UserId>${escapeXml(assumedRoleId)}</UserId>\n` +
        `    <Account>${escapeXml(accountId)}</Account>\n` +
        '  </GetCallerIdentityResult>\n' +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        '</GetCallerIdentityResponse>\n',
      headers: {},
    };
  }
  const { error } = outcome;
  if (protocol === 'json') {
    // awsQueryCompatible JSON errors: the query error code travels in x-amzn-query-error.
    return {
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: error.code, message: error.message }),
      headers: { 'x-amzn-query-error': `${error.code};${error.type}` },
    };
  }
  return {
    contentType: 'text/xml',
    body:
      `<ErrorResponse xmlns="${XMLNS}">\n` +
      `  <Error>\n    <Type>${error.type}</Type>\n    <Code>${escapeXml(error.code)}</Code>\n` +
      `    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n` +
      '</ErrorResponse>\n',
    headers: {},
  };
}

/**
 * Starts an STS emulator on loopback accepting exactly the credentials in `issued`.
 *
 * @example
 * ```ts
 * const sts = await startStsEmulator({ issued: ra.issued });
 * const client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials });
 * const { Arn } = await client.send(new GetCallerIdentityCommand({}));
 * ```
 */
export async function startStsEmulator(options: StsEmulatorOptions): Promise<StsEmulator> {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const requestId = randomUUID();
    const { body, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    record.body = body.toString('utf8');
    let protocol: Protocol = 'query';
    let status = 200;
    let outcome: { identity: IssuedCredentials } | { error: StsError };
    try {
      if (tooLarge) throw new StsError(413, 'RequestEntityTooLarge', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
      const operation = operationOf(req, record.body);
      protocol = operation.protocol;
      const identity = authenticate(req, body, { issued: options.issued, region, now });
      if (operation.action !== 'GetCallerIdentity') {
        throw new StsError(400, 'InvalidAction', `Could not find operation ${operation.action ?? '(none)'}`);
      }
      outcome = { identity };
    } catch (error) {
      if (!(error instanceof StsError)) throw error;
      outcome = { error };
      status = error.status;
      record.errorType = error.code;
    }
    const answer = render(protocol, requestId, outcome);
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, {
      'Content-Type': answer.contentType,
      'Content-Length': String(Buffer.byteLength(answer.body)),
      Date: httpDate(now()),
      'x-amzn-RequestId': requestId,
      ...answer.headers,
    });
    res.end(answer.body);
  }

  const server: EmulatorServer = await startEmulatorServer((req, res) => {
    const record = recordRequest(req);
    requests.push(record);
    handle(req, res, record).catch((error: unknown) => {
      record.status = 500;
      if (res.headersSent || res.destroyed) return;
      const failure = new StsError(500, 'InternalFailure', `Internal emulator error: ${String(error)}`, 'Receiver');
      const answer = render('query', randomUUID(), { error: failure });
      res.writeHead(500, { 'Content-Type': answer.contentType, Date: httpDate(now()) });
      res.end(answer.body);
    });
  }, options);

  return { url: server.url, region, requests, close: () => server.close() };
}
