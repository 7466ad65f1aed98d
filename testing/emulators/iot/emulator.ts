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

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { httpDate, recordRequest, sleep, FaultQueue } from "../emulator-server.js";
import { IssuedCredentialStore } from "../issued-credentials.js";
import { accountFrom, idsOf } from "./account.js";
import { authorize } from "./authorize.js";
import type { IotCredentialEmulator, IotCredentialEmulatorOptions, IotFault, IotHandshakeCounts, IotRecordedRequest } from "./options.js";
import { createMutualTlsServer } from "./tls-server.js";

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
  const account = accountFrom(options);

  const requests: IotRecordedRequest[] = [];
  const handshakes: IotHandshakeCounts = { total: 0, resumed: 0, refused: 0 };
  const faults = new FaultQueue<IotFault>();
  const closing = new AbortController();
  let credentialsIssued = 0;

  const { server, sockets, closeIdleConnections, connectionOf } = createMutualTlsServer(options, account.registeredCertificates, handshakes, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, undefined, 500, { message: `Internal emulator error: ${(error as Error).message}` });
    });
  });

  function answer(res: ServerResponse, record: IotRecordedRequest | undefined, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (record) record.status = status;
    if (res.destroyed) return;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
      Date: httpDate(now()),
      "x-amzn-RequestId": randomUUID(),
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
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "2048", Date: httpDate(now()) });
      res.write('{"credentials":{"accessKeyId":"ASIA');
      setTimeout(() => req.socket.destroy(), 20);
      return true;
    }
    if (fault.malformedBody) {
      answer(res, record, 200, "<html><body>502 Bad Gateway</body></html>");
      return true;
    }
    if (fault.status !== undefined || fault.message !== undefined || fault.errorType !== undefined) {
      const headers: Record<string, string> = {};
      if (fault.errorType) headers["x-amzn-ErrorType"] = fault.errorType;
      if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
      record.errorType = fault.errorType;
      answer(res, record, fault.status ?? 500, { message: fault.message ?? "Internal Server Error" }, headers);
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    if (socket.destroyed) return; // refused after the handshake
    const connection = connectionOf(socket);
    const record: IotRecordedRequest = {
      ...recordRequest(req),
      servername: typeof socket.servername === "string" ? socket.servername : undefined,
      clientCertificateId: connection.clientCertificateId,
      resumedSession: connection.resumed,
    };
    requests.push(record);
    req.resume(); // a GET has no body; drain anything sent anyway

    const fault = faults.next();
    if (fault && (await applyFault(fault, req, res, record))) return;

    const decision = authorize(req, connection, account);
    if (!decision.ok) {
      refuse(res, record, decision.status, decision.message);
      return;
    }
    const { alias, certificateId: id } = decision;
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
        expiration: credentials.expiration.toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const urlHost = address.includes(":") ? `[${address}]` : address;
  const known = (pem: string) => idsOf([pem], "certificate")[0] as string;
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
      if (active) account.inactive.delete(id);
      else account.inactive.add(id);
    },
    dropConnections() {
      closeIdleConnections();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
