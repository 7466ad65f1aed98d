import { isIP, isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";

/** A Host value or a name: a DNS name or IP literal (IPv6 in brackets), with an optional port; nothing a URL parser could read as more. */
const HOST_SYNTAX = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::\d{0,5})?$/i;

/**
 * The host of a Host header or a name the user gave, as browsers and
 * resolvers read it: lower case, without port, brackets or final dot, IPv4
 * in dotted decimal (127.1 → 127.0.0.1), IPv6 compressed (::ffff:127.0.0.1
 * → ::ffff:7f00:1). Undefined when it is not a host.
 */
export function canonicalHost(value: string): string | undefined {
  const text = isIP(value) === 6 ? `[${value}]` : value;
  if (!HOST_SYNTAX.test(text)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname.replace(/\.$/, "");
  return host === "" ? undefined : host;
}

/** Whether a canonical host is reachable from this machine only: localhost, 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. */
function isLoopbackCanonical(host: string): boolean {
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.startsWith("127.");
  if (host === "::1") return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
  return mapped !== null && Number.parseInt(mapped[1]!, 16) >> 8 === 127;
}

/** Whether an address or name (Host value, listen address) is reachable from this machine only. */
export function isLoopback(value: string): boolean {
  const host = canonicalHost(value);
  return host !== undefined && isLoopbackCanonical(host);
}

/** Whether a listen address means every address of the machine. */
export function isWildcardAddress(address: string): boolean {
  const host = canonicalHost(address);
  return host === "0.0.0.0" || host === "::";
}

/**
 * The Host names a server on `listenAddress` answers, besides the loopback
 * ones: the address itself (for a wildcard address, every address of the
 * machine's interfaces at start) and the names the user added. IP literals
 * cannot be rebound, so they add no DNS-rebinding risk; an added name is the
 * user's choice.
 */
export function allowedHostsFor(listenAddress: string, added: readonly string[] = []): string[] {
  const hosts = [listenAddress, ...added];
  if (isWildcardAddress(listenAddress)) {
    for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) hosts.push(entry.address);
  }
  return hosts;
}

/**
 * Answers whether a request's Host may be served: a loopback name, or one of
 * the names given. Every other Host — a page whose name was rebound to this
 * machine's address — is refused.
 */
export class HostAllowList {
  private readonly hosts = new Set<string>();

  constructor(names: Iterable<string> = []) {
    for (const name of names) {
      const host = canonicalHost(name);
      if (host !== undefined) this.hosts.add(host);
    }
  }

  allows(hostHeader: string | undefined): boolean {
    const host = hostHeader === undefined ? undefined : canonicalHost(hostHeader);
    return host !== undefined && (isLoopbackCanonical(host) || this.hosts.has(host));
  }
}
