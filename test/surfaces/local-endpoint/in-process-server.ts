/**
 * The credential server in this process, over a supplier of fixed
 * credentials, and raw-socket requests to it: what the endpoint's own tests
 * need, without emulators.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { type CredentialServerOptions, createCredentialServer } from "../../../src/surfaces/local-endpoint/credential-server.js";

export const AUTHORIZATION_TOKEN = "container-token-for-tests-0123456789abcdefghi";
export const ROLE_NAME = "test-role";
export const CREDENTIALS = {
  accessKeyId: "ASIAEXAMPLE000000001",
  secretAccessKey: "secret/EXAMPLE+0123456789abcdefghijklmnopq",
  sessionToken: "session-token-EXAMPLE",
};

export interface InProcessServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 (a free port) with fixed credentials valid for an hour, unless `supplier` is given. */
export async function startInProcessServer(options: Partial<CredentialServerOptions> = {}): Promise<InProcessServer> {
  const supplier = options.supplier ?? {
    getCredentials: async () => ({ ...CREDENTIALS, expiration: new Date(Date.now() + 3_600_000) }),
    expiration: new Date(Date.now() + 3_600_000),
  };
  const server = createCredentialServer({ roleName: ROLE_NAME, authorizationToken: AUTHORIZATION_TOKEN, ...options, supplier });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface RawAnswer {
  /** Status of the first response, 0 when none came. */
  status: number;
  /** Everything received. */
  raw: string;
}

/** Sends bytes on a fresh connection and reads until the server closes it (or `timeoutMs`, then the connection is dropped). */
export function rawExchange(port: number, bytes: string, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let raw = "";
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), raw });
    });
  });
}
