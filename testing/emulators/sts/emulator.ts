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

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type EmulatorServer, httpDate, type ListenOptions, type RecordedRequest, readBody, recordRequest, startEmulatorServer } from "../emulator-server.js";
import type { IssuedCredentials, IssuedCredentialStore } from "../issued-credentials.js";
import { authenticate } from "./authenticate.js";
import { operationOf, type Protocol, render } from "./protocol.js";
import { StsError } from "./sts-error.js";

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

const MAX_BODY_BYTES = 64 * 1024;

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
  const region = options.region ?? "us-east-1";
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const requestId = randomUUID();
    const { body, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    record.body = body.toString("utf8");
    let protocol: Protocol = "query";
    let status = 200;
    let outcome: { identity: IssuedCredentials } | { error: StsError };
    try {
      if (tooLarge) throw new StsError(413, "RequestEntityTooLarge", `Request body exceeds ${MAX_BODY_BYTES} bytes`);
      const operation = operationOf(req, record.body);
      protocol = operation.protocol;
      const identity = authenticate(req, body, { issued: options.issued, region, now });
      if (operation.action !== "GetCallerIdentity") {
        throw new StsError(400, "InvalidAction", `Could not find operation ${operation.action ?? "(none)"}`);
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
      "Content-Type": answer.contentType,
      "Content-Length": String(Buffer.byteLength(answer.body)),
      Date: httpDate(now()),
      "x-amzn-RequestId": requestId,
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
      const failure = new StsError(500, "InternalFailure", `Internal emulator error: ${String(error)}`, "Receiver");
      const answer = render("query", randomUUID(), { error: failure });
      res.writeHead(500, { "Content-Type": answer.contentType, Date: httpDate(now()) });
      res.end(answer.body);
    });
  }, options);

  return { url: server.url, region, requests, close: () => server.close() };
}
