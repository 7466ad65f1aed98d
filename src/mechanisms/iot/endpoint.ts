import { parseEndpointText } from "../../aws/endpoint-url.js";
import { ConfigurationError } from "../../core/errors.js";

const EXAMPLE =
  "Pass the host name from `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`, e.g. c2abcdefgh1234.credentials.iot.us-east-1.amazonaws.com";

/**
 * `<prefix>.credentials.iot[-fips].<region>.amazonaws.com[.cn]`: the region is
 * the third label from the end (fourth in China's `.com.cn`).
 */
const CREDENTIALS_HOST = /(?:^|\.)credentials\.iot(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Parses the IoT credential provider endpoint: a host name, `host:port`, or an
 * `https://` URL. Only HTTPS makes sense: the protocol is mutual TLS.
 */
export function parseIotEndpoint(endpoint: unknown): URL {
  if (endpoint instanceof URL) endpoint = endpoint.href;
  if (typeof endpoint !== "string" || endpoint.trim() === "") {
    throw new ConfigurationError("endpoint", `endpoint is required. ${EXAMPLE}.`);
  }
  const text = endpoint.trim();
  const url = parseEndpointText(text);
  if (!url) throw new ConfigurationError("endpoint", `endpoint "${text}" is neither a host name, host:port nor a URL. ${EXAMPLE}.`);
  if (url.protocol !== "https:") {
    throw new ConfigurationError(
      "endpoint",
      `endpoint "${text}" uses ${url.protocol.replace(":", "")}: the IoT credential provider is only reachable over HTTPS (mutual TLS). Use https:// or the bare host name.`,
    );
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(
      "endpoint",
      `endpoint "${text}" must be just a host (and port); certcreds adds the /role-aliases/... path itself. ${EXAMPLE}.`,
    );
  }
  return new URL(`https://${url.host}`);
}

/** The region named by an AWS IoT credential provider host, or undefined for any other host (an emulator). */
export function regionFromIotEndpoint(host: string): string | undefined {
  return CREDENTIALS_HOST.exec(host.toLowerCase())?.[1];
}
