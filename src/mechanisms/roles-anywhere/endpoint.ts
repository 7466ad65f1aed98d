import { parseEndpointText } from "../../aws/endpoint-url.js";
import { ConfigurationError } from "../../core/errors.js";

/** How to choose the Roles Anywhere endpoint. */
export interface EndpointOptions {
  region: string;
  partition: string;
  endpoint?: string | URL;
  useFipsEndpoint?: boolean;
  useDualstackEndpoint?: boolean;
}

function envFlag(name: string): boolean | undefined {
  const value = process.env[name]?.trim().toLowerCase();
  if (value === undefined || value === "") return undefined;
  return value === "true" || value === "1";
}

/** Parses an endpoint override; `http://` is allowed for local emulators. */
export function parseEndpoint(endpoint: string | URL, option = "endpoint"): URL {
  if (typeof endpoint !== "string" && !(endpoint instanceof URL)) {
    throw new ConfigurationError(option, `${option} must be a URL or host name string, e.g. https://rolesanywhere.us-east-1.amazonaws.com.`);
  }
  const url = parseEndpointText(String(endpoint));
  if (!url)
    throw new ConfigurationError(option, `${option} "${String(endpoint)}" is not a URL or host name. Pass e.g. https://rolesanywhere.us-east-1.amazonaws.com.`);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError(option, `${option} "${url.href}" must use https:// (or http:// for a local emulator).`);
  }
  return url;
}

/**
 * The service URL: the override when given, else the regional endpoint with
 * FIPS and dual-stack variants (also from `AWS_USE_FIPS_ENDPOINT` and
 * `AWS_USE_DUALSTACK_ENDPOINT`, like the AWS SDKs).
 */
export function resolveRolesAnywhereEndpoint(options: EndpointOptions): URL {
  if (options.endpoint !== undefined && options.endpoint !== "") return parseEndpoint(options.endpoint);
  const fips = options.useFipsEndpoint ?? envFlag("AWS_USE_FIPS_ENDPOINT") ?? false;
  const dualstack = options.useDualstackEndpoint ?? envFlag("AWS_USE_DUALSTACK_ENDPOINT") ?? false;
  const china = options.partition === "aws-cn";
  const suffix = dualstack ? (china ? "api.amazonwebservices.com.cn" : "api.aws") : china ? "amazonaws.com.cn" : "amazonaws.com";
  return new URL(`https://rolesanywhere${fips ? "-fips" : ""}.${options.region}.${suffix}`);
}
