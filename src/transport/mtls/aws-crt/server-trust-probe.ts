import { connect } from "node:tls";
import { isIP } from "node:net";
import type { NetworkError } from "../../../core/errors.js";
import { classifyNetworkError } from "../../http-request.js";

/**
 * Checks with Node's TLS (no client certificate) whether the server's
 * certificate is trusted. Resolves to the `tls-server-untrusted` error when
 * it is not, undefined otherwise (trusted, or the probe could not tell).
 * Used to explain a handshake that aws-crt is still "blinding".
 */
export function probeServerTrust(
  url: URL,
  ca: Buffer | string | undefined,
  servername: string,
  rejectUnauthorized: boolean,
  timeoutMs: number,
): Promise<NetworkError | undefined> {
  if (!rejectUnauthorized) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(ca !== undefined ? { ca } : {}),
      ...(isIP(servername) ? {} : { servername }),
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    });
    const done = (result: NetworkError | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once("secureConnect", () => done(undefined));
    socket.once("error", (error) => {
      const classified = classifyNetworkError(error, url);
      done(classified.kind === "tls-server-untrusted" ? classified : undefined);
    });
  });
}
