import { checkRegion } from "../../aws/region.js";
import { ConfigurationError } from "../../core/errors.js";
import { IDENTITY_OPTIONS, type IdentityInit } from "../../identity/identity-init.js";
import type { MaterialInput } from "../../identity/material.js";
import { assertMutualTlsKey, sourceSuppliesCertificate } from "../../identity/sources/index.js";
import { type CheckedMechanismOptions, checkMechanismOptions, MECHANISM_OPTIONS, type MechanismOptions } from "../options.js";
import { parseIotEndpoint, regionFromIotEndpoint } from "./endpoint.js";

/** Everything the AWS IoT Core credential provider needs besides the identity. */
export interface IotOptions extends MechanismOptions {
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
}

/** Init of an IoT credential source: the thing's identity plus the options above. */
export type IotInit = IdentityInit & IotOptions;

/** The options after checking. */
export interface CheckedIotOptions extends CheckedMechanismOptions {
  endpoint: URL;
  /** Host name sent as SNI and `Host`. */
  host: string;
  region: string | undefined;
  path: string;
  verifyPeer: boolean;
}

/** How log lines and messages name this mechanism. */
export const IOT_NAME = "AWS IoT credential provider";

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
  // Some key sources read the certificate themselves (a token): then it may be omitted.
  if ((init.certificate === undefined || init.certificate === null) && !sourceSuppliesCertificate(init)) {
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
  assertMutualTlsKey(init);
  let region = regionFromIotEndpoint(endpoint.hostname);
  if (init.region !== undefined) region = checkRegion(init.region);
  const common = checkMechanismOptions(init);
  if (init.verifyPeer !== undefined && typeof init.verifyPeer !== "boolean") {
    throw new ConfigurationError("verifyPeer", `verifyPeer must be true or false, not ${JSON.stringify(init.verifyPeer)}.`);
  }
  return {
    ...common,
    endpoint,
    host: endpoint.hostname.replace(/^\[|\]$/g, ""),
    region,
    path: `/role-aliases/${encodeURIComponent(init.roleAlias)}/credentials`,
    verifyPeer: init.verifyPeer ?? true,
  };
}

/** Every option name of {@link IotInit}, for the check of unknown options. */
export const IOT_OPTIONS: readonly string[] = [
  ...IDENTITY_OPTIONS,
  "endpoint",
  "roleAlias",
  "thingName",
  "ca",
  "verifyPeer",
  "region",
  ...MECHANISM_OPTIONS,
] satisfies readonly (keyof IotInit)[];
