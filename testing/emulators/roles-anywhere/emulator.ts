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

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type EmulatorServer, httpDate, type RecordedRequest, readBody, recordRequest, sleep, startEmulatorServer, FaultQueue } from "../emulator-server.js";
import { createSession } from "./create-session.js";
import type { RolesAnywhereEmulator, RolesAnywhereEmulatorOptions, RolesAnywhereFault } from "./options.js";
import { ServiceError } from "./service-error.js";
import { resolveState } from "./service-state.js";

const MAX_BODY_BYTES = 64 * 1024;

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
    throw new TypeError("At least one trust anchor and one profile with one role are required");
  }

  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue<RolesAnywhereFault>();
  let createSessionCount = 0;
  let server: EmulatorServer | undefined;

  function send(res: ServerResponse, record: RecordedRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      // The emulator's clock, so a client can measure and correct its skew.
      Date: httpDate(state.now()),
      "x-amzn-RequestId": randomUUID(),
      ...headers,
    });
    res.end(body);
  }

  function sendError(res: ServerResponse, record: RecordedRequest, error: ServiceError, headers = {}): void {
    record.errorType = error.errorType;
    send(res, record, error.status, JSON.stringify({ message: error.message }), {
      "x-amzn-ErrorType": error.errorType,
      ...headers,
    });
  }

  /** Applies a fault; returns true when it answered (or deliberately did not). */
  async function applyFault(fault: RolesAnywhereFault, req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<boolean> {
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
      res.writeHead(201, { "Content-Type": "application/json", "Content-Length": "2048" });
      res.write('{"credentialSet":[{"credentials":{"accessKeyId":"ASIA');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
      return true;
    }
    if (fault.malformedBody) {
      send(res, record, 201, "<html><body>502 Bad Gateway</body></html>");
      return true;
    }
    if (fault.status !== undefined || fault.errorType !== undefined || fault.message !== undefined || fault.retryAfterSeconds !== undefined) {
      const errorType = fault.errorType ?? "InternalServerException";
      const error = new ServiceError(fault.status ?? 500, errorType, fault.message ?? `Injected ${errorType}`);
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) };
      sendError(res, record, error, headers);
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const { body, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    record.body = body.toString("utf8");
    if (tooLarge) {
      sendError(res, record, new ServiceError(413, "ValidationException", `Request body exceeds ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const fault = faults.next();
    if (fault && (await applyFault(fault, req, res, record))) return;

    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== "/sessions") {
      sendError(res, record, new ServiceError(404, "UnknownOperationException", `No operation for ${req.method} ${path}`));
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
      if (!res.headersSent) sendError(res, record, new ServiceError(500, "InternalServerException", message));
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
