import type { Clock } from "../../core/clock.js";
import { ConfigurationError } from "../../core/errors.js";
import type { IdentityInit } from "../../identity/load-identity.js";
import type { MaterialInput } from "../../identity/material.js";
import type { RetryOptions } from "../../transport/retry.js";
import { isRegion } from "../../aws/arn.js";
import { parseIotEndpoint, regionFromIotEndpoint } from "./endpoint.js";
import { type IotLogLevel, parseLogLevel, type TraceLogger } from "./log-level.js";

/** Everything the AWS IoT Core credential provider needs besides the identity. */
export interface IotOptions {
  /**
   * The account's credential provider endpoint: host name, `host:port` or
   * `https://` URL (`aws iot describe-endpoint --endpoint-type iot:CredentialProvider`).
   */
  endpoint: string | URL;
  /** The role alias that points at the IAM role to assume. */
  roleAlias: string;
  /** The thing the certificate is attached to (sent as `x-amzn-iot-thingname`). */
  thingName: string;
  /**
   * CA certificates that may sign the endpoint's certificate (path, PEM or
   * bytes) instead of Node's bundled roots, which already hold Amazon Root CA 1.
   */
  ca?: MaterialInput;
  /** Verify the endpoint's certificate and host name (default true). Turning it off is logged as a warning at every fetch. */
  verifyPeer?: boolean;
  /**
   * Region for `clientConfig()`; default: parsed from the endpoint
   * (`…credentials.iot.<region>.amazonaws.com`).
   */
  region?: string;
  /** Deadline of one HTTP attempt in ms (default 10000). */
  timeoutMs?: number;
  /** HTTP proxy for a CONNECT tunnel; default `HTTPS_PROXY` unless `NO_PROXY` matches; `false` disables. */
  proxy?: string | URL | false;
  /** Where log lines go (console fits). Never receives keys or credentials. */
  logger?: TraceLogger;
  /**
   * Which lines reach the logger (the Python helper's `awscrt_log_level`).
   * Default `debug` with a logger, `none` without; set without a logger, lines go to standard error.
   */
  logLevel?: IotLogLevel;
  /** Retries of network errors, throttling and 5xx. */
  retry?: RetryOptions;
  /** Time source (tests pass a fake one). */
  clock?: Clock;
}

/** Init of an IoT credential source: the thing's identity plus the options above. */
export type IotInit = IdentityInit & IotOptions;

/** The options after checking. */
export interface CheckedIotOptions {
  endpoint: URL;
  /** Host name sent as SNI and `Host`. */
  host: string;
  region: string | undefined;
  path: string;
  timeoutMs: number;
  verifyPeer: boolean;
  logLevel: IotLogLevel | undefined;
}

/** Role alias names: 1–128 of letters, digits and `=,@-_` (the IoT API's pattern). */
const ROLE_ALIAS = /^[\w=,@-]{1,128}$/;
/** Thing names: 1–128 of letters, digits and `:_-` (the IoT API's pattern). */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * Checks the options that need no I/O; throws ConfigurationError naming the
 * option and the fix. Files are only read at fetch time.
 */
export function checkIotOptions(init: IotInit): CheckedIotOptions {
  if (init === null || typeof init !== "object") {
    throw new ConfigurationError("init", "Pass an object with endpoint, roleAlias, thingName, certificate and privateKey.");
  }
  const endpoint = parseIotEndpoint(init.endpoint);
  // PKCS#11 (issue #5): beside a pkcs11 option the certificate may be omitted (read from the token).
  if ((init.certificate === undefined || init.certificate === null) && init.pkcs11 === undefined) {
    throw new ConfigurationError("certificate", "certificate is required: pass the thing's certificate as a file path, PEM text or bytes.");
  }
  if (typeof init.roleAlias !== "string" || !ROLE_ALIAS.test(init.roleAlias)) {
    const shown = init.roleAlias === undefined ? "is required" : `"${String(init.roleAlias)}" is not a role alias name`;
    throw new ConfigurationError(
      "roleAlias",
      `roleAlias ${shown}: pass the alias name (1–128 letters, digits and = , @ - _), as listed by \`aws iot list-role-aliases\`.`,
    );
  }
  if (typeof init.thingName !== "string" || !THING_NAME.test(init.thingName)) {
    const shown = init.thingName === undefined ? "is required" : `"${String(init.thingName)}" is not a thing name`;
    throw new ConfigurationError(
      "thingName",
      `thingName ${shown}: pass the name of the thing the certificate is attached to (1–128 letters, digits and : _ -).`,
    );
  }
  if (init.signer !== undefined) {
    throw new ConfigurationError(
      "signer",
      "The IoT credential provider authenticates with mutual TLS, which needs the private key in this process: pass privateKey (file path, PEM text or bytes). " +
        "A key reachable only through a signer is not supported for IoT yet; for a key on a PKCS#11 token use the pkcs11 option (or a pkcs11: URI as privateKey), which carries mutual TLS through aws-crt.",
    );
  }
  let region = regionFromIotEndpoint(endpoint.hostname);
  if (init.region !== undefined) {
    if (typeof init.region !== "string" || !isRegion(init.region)) {
      throw new ConfigurationError("region", `region "${String(init.region)}" is not an AWS region name (e.g. us-east-1).`);
    }
    region = init.region;
  }
  const timeoutMs = init.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new ConfigurationError("timeoutMs", `timeoutMs ${String(init.timeoutMs)} is not a positive number of milliseconds.`);
  }
  if (init.verifyPeer !== undefined && typeof init.verifyPeer !== "boolean") {
    throw new ConfigurationError("verifyPeer", `verifyPeer must be true or false, not ${JSON.stringify(init.verifyPeer)}.`);
  }
  return {
    endpoint,
    host: endpoint.hostname.replace(/^\[|\]$/g, ""),
    region,
    path: `/role-aliases/${encodeURIComponent(init.roleAlias)}/credentials`,
    timeoutMs,
    verifyPeer: init.verifyPeer ?? true,
    logLevel: parseLogLevel(init.logLevel),
  };
}
