import type { Server } from "node:http";
import { type CredentialServerOptions, createCredentialServer } from "./credential-server.js";
import { isLoopback } from "./host-allow-list.js";

/** Whether an address to listen on is reachable from this machine only (127.0.0.0/8, ::1, ::ffff:127.x.x.x, localhost). */
export function isLoopbackHost(host: string): boolean {
  return isLoopback(host);
}

/**
 * Connections the kernel queues until the server takes them (capped by the system, net.core.somaxconn
 * on Linux). Node's 511 overflows when a flood of connections is closed and reopened at once, and a
 * client whose connection overflows the queue waits a second to retry: longer than SDKs wait.
 */
const LISTEN_BACKLOG = 4_096;

/** A started endpoint: the server, and the base URL its clients use. */
export interface LocalEndpoint {
  server: Server;
  base: string;
}

/**
 * Creates the credential server and listens on `host:port` (0 picks a free
 * port). Rejects with the listen error (EADDRINUSE...).
 */
export async function startLocalEndpoint(options: CredentialServerOptions & { host: string; port: number }): Promise<LocalEndpoint> {
  const { host, port, ...serverOptions } = options;
  const server = createCredentialServer(serverOptions);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, LISTEN_BACKLOG, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return { server, base: `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}` };
}

/** The environment that points the AWS SDKs and CLI at the endpoint, as shell export lines. */
export function clientEnvironment(base: string, tokenFile: string): string {
  return [
    // With the trailing slash: older AWS CLIs (2.9) append `latest/api/token` to the value as it is.
    `export AWS_EC2_METADATA_SERVICE_ENDPOINT=${base}/`,
    `export AWS_CONTAINER_CREDENTIALS_FULL_URI=${base}/credentials`,
    `export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${tokenFile}`,
    // Older SDKs read only the token itself (botocore < 1.31, the JS fromContainerMetadata): one more line for them.
    `# SDKs that only read AWS_CONTAINER_AUTHORIZATION_TOKEN (botocore < 1.31): export AWS_CONTAINER_AUTHORIZATION_TOKEN="$(cat ${tokenFile})"`,
    "",
  ].join("\n");
}
