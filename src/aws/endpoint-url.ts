/**
 * An endpoint as users write it — a host name, `host:port` or a URL — as a
 * URL (a bare host gets `https://`); undefined when it is none of these.
 * Each mechanism then checks what it allows (scheme, path).
 */
export function parseEndpointText(text: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return undefined;
  }
}

/** Whether a URL host is an IP address (which TLS cannot send as SNI). */
export function isIpHost(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
