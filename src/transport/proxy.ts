import type { Socket } from "node:net";
import { ConfigurationError, NetworkError } from "../core/errors.js";
import { nodeHttp } from "./node-http.js";

/**
 * The proxy for a target: the `proxy` option when given (`false` disables),
 * else `HTTPS_PROXY`/`HTTP_PROXY` (either case) unless `NO_PROXY` matches.
 */
export function resolveProxy(target: URL, option: string | URL | false | undefined): URL | undefined {
  if (option === false) return undefined;
  let value: string | undefined = option === undefined ? undefined : String(option);
  if (value === undefined || value === "") {
    if (bypassesProxy(target)) return undefined;
    const env = process.env;
    value = target.protocol === "https:" ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
    if (value === undefined || value === "") return undefined;
  }
  try {
    const url = new URL(/^[a-z]+:\/\//i.test(value) ? value : `http://${value}`);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    return url;
  } catch {
    throw new ConfigurationError("proxy", `The proxy "${redactUserInfo(value)}" is not a URL. Pass e.g. http://proxy.example.com:3128.`);
  }
}

/** `NO_PROXY`: `*`, host names, `.suffix` or `suffix` domains, optional `:port`. */
export function bypassesProxy(target: URL): boolean {
  const list = process.env.NO_PROXY ?? process.env.no_proxy;
  if (!list) return false;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === "*") return true;
      const [name = "", entryPort] = entry.toLowerCase().split(/:(?=\d+$)/);
      if (entryPort && entryPort !== port) return false;
      const bare = name.replace(/^\*?\./, "");
      return host === bare || host.endsWith(`.${bare}`);
    });
}

/** A proxy URL for messages, without user name or password. */
export function redactUserInfo(value: string): string {
  return value.replace(/\/\/[^@/]*@/, "//***@");
}

/** Opens a CONNECT tunnel through an HTTP proxy to `host:port`. */
export async function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  const httpRequest = nodeHttp().http.request;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `${host}:${port}` };
    if (proxy.username) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers["Proxy-Authorization"] = `Basic ${Buffer.from(auth).toString("base64")}`;
    }
    const where = redactUserInfo(proxy.href);
    const req = httpRequest({
      host: proxy.hostname.replace(/^\[|\]$/g, ""),
      port: proxy.port || 80,
      method: "CONNECT",
      path: `${host}:${port}`,
      headers,
      timeout: timeoutMs,
    });
    req.once("connect", (res, socket) => {
      if (res.statusCode === 200) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(
        new NetworkError(
          "proxy",
          `The proxy ${where} refused to tunnel to ${host}:${port} (HTTP ${res.statusCode}). Check the proxy's allow list and credentials, or add the host to NO_PROXY.`,
        ),
      );
    });
    req.once("timeout", () => req.destroy(new NetworkError("timeout", `The proxy ${where} did not answer within ${timeoutMs} ms.`)));
    req.once("error", (cause) =>
      reject(
        cause instanceof NetworkError
          ? cause
          : new NetworkError("proxy", `Could not reach the proxy ${where}: ${(cause as Error).message}. Check the proxy option or HTTPS_PROXY.`, { cause }),
      ),
    );
    req.end();
  });
}
