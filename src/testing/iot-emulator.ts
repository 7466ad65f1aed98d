/**
 * A local AWS IoT Core credential provider: `GET /role-aliases/<alias>/credentials`
 * over mutual TLS, checked the way the real service checks it — a client
 * certificate issued by a registered CA (or registered on its own) and
 * active, a thing name the certificate is attached to, a role alias with a
 * policy that allows it and a role that can be assumed — answering with the
 * real service's statuses and messages. Credentials it issues are recorded
 * in an {@link IssuedCredentialStore}, so the STS emulator accepts them.
 *
 * @module
 */

import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { httpDate, type RecordedRequest, recordRequest, sleep, FaultQueue } from './emulator-server.js';
import { IssuedCredentialStore } from './issued-credentials.js';

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
  unknownCertificates?: 'drop-connection' | 'forbidden';
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
  inject(fault: IotFault): void;
  clearFaults(): void;
  /** Sets a known certificate ACTIVE or INACTIVE (`aws iot update-certificate`). */
  setCertificateActive(certificatePem: string, active: boolean): void;
  /** Closes idle keep-alive connections, as a server's idle timeout does between two refreshes. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** The real service's messages. */
export const IOT_ERROR_MESSAGES = {
  invalidCertificate: 'Certificate is invalid on this endpoint',
  invalidThingName: 'Invalid thing name passed',
  accessDenied: 'Access Denied',
  roleAliasMissing: 'Role alias does not exist',
  cannotAssumeRole: 'Unable to assume the role, or the role to assume does not exist',
  durationTooLong: 'The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role',
} as const;

const PATH = /^\/role-aliases\/([^/?]+)\/credentials(?:\?.*)?$/;
const ROLE_ARN = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[^/]+\/)*[\w+=,.@-]{1,64}$/;

/** AWS IoT's certificate id: the SHA-256 of the DER, lower-case hex. */
function certificateId(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function idsOf(pems: readonly string[], what: string): string[] {
  return pems.map((pem) => {
    try {
      return certificateId(new X509Certificate(pem).raw);
    } catch (cause) {
      throw new TypeError(`${what}: not a PEM certificate`, { cause });
    }
  });
}

function checkAlias(config: IotRoleAliasConfig): Required<IotRoleAliasConfig> & { accountId: string } {
  const account = ROLE_ARN.exec(config.roleArn)?.[1];
  if (!account) throw new TypeError(`roleAliases: "${config.roleArn}" is not an IAM role ARN`);
  const duration = config.credentialDurationSeconds ?? 3600;
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw new TypeError(`roleAliases: credentialDurationSeconds of ${config.alias} must be 900–43200`);
  }
  return {
    alias: config.alias,
    roleArn: config.roleArn,
    credentialDurationSeconds: duration,
    policyAllows: config.policyAllows ?? true,
    roleAssumable: config.roleAssumable ?? true,
    maxSessionDuration: config.maxSessionDuration ?? 3600,
    accountId: account,
  };
}

/** How the emulator sees one connection's client certificate. */
interface ConnectionState {
  clientCertificateId: string | undefined;
  /** Issued by a registered CA, or registered itself. */
  known: boolean;
  resumed: boolean;
}

/**
 * Starts the emulator on loopback.
 *
 * @example
 * ```ts
 * const ca = await createTestCertificateAuthority();
 * const server = await ca.issue({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
 * const device = await ca.issue({ commonName: 'device-1' });
 * const iot = await startIotCredentialEmulator({
 *   serverCertificate: { cert: server.certificatePem, key: server.privateKeyPem! },
 *   registeredCas: [ca.certificatePem],
 *   things: [{ name: 'device-1', certificates: [device.certificatePem] }],
 *   roleAliases: [{ alias: 'device-role', roleArn: 'arn:aws:iam::123456789012:role/Device' }],
 * });
 * ```
 */
export async function startIotCredentialEmulator(options: IotCredentialEmulatorOptions): Promise<IotCredentialEmulator> {
  const now = options.now ?? Date.now;
  const issued = options.issued ?? new IssuedCredentialStore();
  const registeredCertificates = new Set(idsOf(options.registeredCertificates ?? [], 'registeredCertificates'));
  const inactive = new Set(idsOf(options.inactiveCertificates ?? [], 'inactiveCertificates'));
  const things = new Map(options.things.map((thing) => [thing.name, new Set(idsOf(thing.certificates, `things[${thing.name}]`))]));
  const aliases = new Map(options.roleAliases.map((config) => [config.alias, checkAlias(config)]));
  const unknownMode = options.unknownCertificates ?? 'drop-connection';

  const requests: IotRecordedRequest[] = [];
  const handshakes: IotHandshakeCounts = { total: 0, resumed: 0, refused: 0 };
  const faults = new FaultQueue<IotFault>();
  const connections = new WeakMap<Socket, ConnectionState>();
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  let credentialsIssued = 0;

  const server: Server = createServer(
    {
      cert: options.serverCertificate.cert,
      key: options.serverCertificate.key,
      // Ask for a certificate but decide ourselves: a certificate registered without its CA is known too.
      requestCert: true,
      rejectUnauthorized: false,
      ca: options.registeredCas ?? [],
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) answer(res, undefined, 500, { message: `Internal emulator error: ${(error as Error).message}` });
      });
    },
  );
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Before the HTTP layer's own listener: a refused connection must never reach the request handler.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const resumed = socket.isSessionReused();
    handshakes.total += 1;
    if (resumed) handshakes.resumed += 1;
    const peer = socket.getPeerCertificate();
    const id = peer?.raw ? certificateId(peer.raw) : undefined;
    const known = id !== undefined && (socket.authorized || registeredCertificates.has(id));
    connections.set(socket, { clientCertificateId: id, known, resumed });
    if (!known && unknownMode === 'drop-connection') {
      // What Node's TLS server does for a client certificate it refuses: close, without an HTTP answer.
      handshakes.refused += 1;
      socket.destroy();
    }
  });
  // Clients that give up during the handshake are not our concern.
  server.on('tlsClientError', () => {});

  function answer(res: ServerResponse, record: IotRecordedRequest | undefined, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (record) record.status = status;
    if (res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      Date: httpDate(now()),
      'x-amzn-RequestId': randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  function refuse(res: ServerResponse, record: IotRecordedRequest, status: number, message: string): void {
    answer(res, record, status, { message });
  }



  /** Applies a fault; true when it answered (or deliberately did not). */
  async function applyFault(fault: IotFault, req: IncomingMessage, res: ServerResponse, record: IotRecordedRequest): Promise<boolean> {
    if (fault.delayMs) await sleep(fault.delayMs, closing.signal);
    if (closing.signal.aborted) return true;
    if (fault.resetConnection) {
      req.socket.destroy();
      return true;
    }
    if (fault.hang) return true;
    if (fault.resetMidBody) {
      // Headers and the start of a 200 body, then the connection goes: the client sees a truncated answer.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2048', Date: httpDate(now()) });
      res.write('{"credentials":{"accessKeyId":"ASIA');
      setTimeout(() => req.socket.destroy(), 20);
      return true;
    }
    if (fault.malformedBody) {
      answer(res, record, 200, '<html><body>502 Bad Gateway</body></html>');
      return true;
    }
    if (fault.status !== undefined || fault.message !== undefined || fault.errorType !== undefined) {
      const headers: Record<string, string> = {};
      if (fault.errorType) headers['x-amzn-ErrorType'] = fault.errorType;
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      record.errorType = fault.errorType;
      answer(res, record, fault.status ?? 500, { message: fault.message ?? 'Internal Server Error' }, headers);
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    if (socket.destroyed) return; // refused after the handshake
    const connection = connections.get(socket) ?? { clientCertificateId: undefined, known: false, resumed: false };
    const record: IotRecordedRequest = {
      ...recordRequest(req),
      servername: typeof socket.servername === 'string' ? socket.servername : undefined,
      clientCertificateId: connection.clientCertificateId,
      resumedSession: connection.resumed,
    };
    requests.push(record);
    req.resume(); // a GET has no body; drain anything sent anyway

    const fault = faults.next();
    if (fault && (await applyFault(fault, req, res, record))) return;

    const match = PATH.exec(req.url ?? '');
    if (req.method !== 'GET' || !match?.[1]) {
      refuse(res, record, 404, 'Not Found');
      return;
    }
    const id = connection.clientCertificateId;
    if (!connection.known || id === undefined || inactive.has(id)) {
      refuse(res, record, 403, IOT_ERROR_MESSAGES.invalidCertificate);
      return;
    }
    const thingHeader = req.headers['x-amzn-iot-thingname'];
    if (thingHeader !== undefined) {
      const thingName = Array.isArray(thingHeader) ? thingHeader[0] : thingHeader;
      if (thingName === undefined || !things.get(thingName)?.has(id)) {
        refuse(res, record, 403, IOT_ERROR_MESSAGES.invalidThingName);
        return;
      }
    }
    let aliasName: string;
    try {
      aliasName = decodeURIComponent(match[1]);
    } catch {
      refuse(res, record, 404, IOT_ERROR_MESSAGES.roleAliasMissing);
      return;
    }
    const alias = aliases.get(aliasName);
    if (!alias) {
      refuse(res, record, 404, IOT_ERROR_MESSAGES.roleAliasMissing);
      return;
    }
    if (!alias.policyAllows) {
      refuse(res, record, 403, IOT_ERROR_MESSAGES.accessDenied);
      return;
    }
    if (!alias.roleAssumable) {
      refuse(res, record, 400, IOT_ERROR_MESSAGES.cannotAssumeRole);
      return;
    }
    if (alias.credentialDurationSeconds > alias.maxSessionDuration) {
      refuse(res, record, 400, IOT_ERROR_MESSAGES.durationTooLong);
      return;
    }
    const lifetime = options.lifetimeSeconds ?? alias.credentialDurationSeconds;
    // The real service names the session after the certificate id.
    const credentials = issued.issue({
      accountId: alias.accountId,
      roleArn: alias.roleArn,
      roleSessionName: id,
      expiration: new Date(Math.floor(now() / 1000) * 1000 + lifetime * 1000),
    });
    credentialsIssued += 1;
    answer(res, record, 200, {
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const urlHost = address.includes(':') ? `[${address}]` : address;
  const known = (pem: string) => idsOf([pem], 'certificate')[0] as string;
  let closed: Promise<void> | undefined;

  return {
    url: `https://${urlHost}:${port}`,
    host: address,
    port,
    issued,
    requests,
    handshakes,
    get credentialsIssued() {
      return credentialsIssued;
    },
    inject(fault) {
      faults.push(fault);
    },
    clearFaults() {
      faults.clear();
    },
    setCertificateActive(certificatePem, active) {
      const id = known(certificatePem);
      if (active) inactive.delete(id);
      else inactive.add(id);
    },
    dropConnections() {
      server.closeIdleConnections();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
