import { parseArn } from "../../aws/arn.js";
import { checkRegion } from "../../aws/region.js";
import { ConfigurationError } from "../../core/errors.js";
import { showValue } from "../../core/show-value.js";
import { IDENTITY_OPTIONS, type IdentityInit } from "../../identity/identity-init.js";
import type { MaterialInput } from "../../identity/material.js";
import { type CheckedMechanismOptions, checkMechanismOptions, MECHANISM_OPTIONS, type MechanismOptions } from "../options.js";
import { resolveRolesAnywhereEndpoint } from "./endpoint.js";

/** Everything IAM Roles Anywhere needs besides the identity. */
export interface RolesAnywhereOptions extends MechanismOptions {
  /** `arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<id>` */
  trustAnchorArn: string;
  /** `arn:aws:rolesanywhere:<region>:<account>:profile/<id>` */
  profileArn: string;
  /** `arn:aws:iam::<account>:role/<name>` */
  roleArn: string;
  /** Region of the Roles Anywhere endpoint (default: the trust anchor's). */
  region?: string;
  /** Session lifetime, 900–43200 seconds (default 3600; the profile may cap it). */
  durationSeconds?: number;
  /** Role session name (only when the profile accepts custom names). */
  roleSessionName?: string;
  /** Endpoint override, e.g. a local emulator (`http://` allowed). */
  endpoint?: string | URL;
  /** Use the FIPS endpoint (default from `AWS_USE_FIPS_ENDPOINT`). */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack endpoint (default from `AWS_USE_DUALSTACK_ENDPOINT`). */
  useDualstackEndpoint?: boolean;
  /** CA certificates to trust for the endpoint (path, PEM or bytes) instead of Node's defaults. */
  caBundle?: MaterialInput;
  /** Verify the endpoint's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
}

/** Init of a Roles Anywhere credential source: identity plus service options. */
export type RolesAnywhereInit = IdentityInit & RolesAnywhereOptions;

/** How log lines and messages name this mechanism. */
export const ROLES_ANYWHERE_NAME = "IAM Roles Anywhere";

/** Checks the options that need no I/O; throws ConfigurationError naming the option. */
export function checkRolesAnywhereOptions(init: RolesAnywhereOptions): CheckedRolesAnywhereOptions {
  const anchor = parseArn(init.trustAnchorArn, "trustAnchorArn", "rolesanywhere", "trust-anchor");
  const profile = parseArn(init.profileArn, "profileArn", "rolesanywhere", "profile");
  const role = parseArn(init.roleArn, "roleArn", "iam", "role");
  if (anchor.region !== profile.region) {
    throw new ConfigurationError(
      "profileArn",
      `The trust anchor is in ${anchor.region} but the profile is in ${profile.region}: they must be in the same region. Use the profile of the trust anchor's region.`,
    );
  }
  if (anchor.accountId !== profile.accountId) {
    throw new ConfigurationError(
      "profileArn",
      `The trust anchor belongs to account ${anchor.accountId} but the profile to ${profile.accountId}: use ARNs of one account.`,
    );
  }
  const region = checkRegion(init.region ?? anchor.region);
  if (init.region !== undefined && init.region !== anchor.region && init.endpoint === undefined) {
    throw new ConfigurationError(
      "region",
      `region ${init.region} differs from the trust anchor's region ${anchor.region}: Roles Anywhere only knows a trust anchor in its own region. Leave region out, or use a trust anchor and profile of ${init.region}.`,
    );
  }
  const durationSeconds: number = init.durationSeconds ?? 3600;
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
    throw new ConfigurationError(
      "durationSeconds",
      `durationSeconds ${showValue(init.durationSeconds)} is out of range: use a whole number from 900 to 43200.`,
    );
  }
  if (init.roleSessionName !== undefined && (typeof init.roleSessionName !== "string" || !/^[\w+=,.@-]{2,64}$/.test(init.roleSessionName))) {
    throw new ConfigurationError(
      "roleSessionName",
      `roleSessionName ${showValue(init.roleSessionName)} is invalid: 2–64 characters of letters, digits and + = , . @ _ -.`,
    );
  }
  const common = checkMechanismOptions(init);
  const url = resolveRolesAnywhereEndpoint({
    region,
    partition: anchor.partition,
    ...(init.endpoint !== undefined ? { endpoint: init.endpoint } : {}),
    ...(init.useFipsEndpoint !== undefined ? { useFipsEndpoint: init.useFipsEndpoint } : {}),
    ...(init.useDualstackEndpoint !== undefined ? { useDualstackEndpoint: init.useDualstackEndpoint } : {}),
  });
  // An AWS endpoint names its region: one that is not the trust anchor's would only fail at the service, as "not found".
  const hostRegion = /^rolesanywhere(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws|api\.amazonwebservices\.com\.cn)$/.exec(
    url.hostname,
  )?.[1];
  if (hostRegion !== undefined && hostRegion !== anchor.region) {
    throw new ConfigurationError(
      "endpoint",
      `endpoint ${url.origin} is IAM Roles Anywhere in ${hostRegion}, but the trust anchor is in ${anchor.region}: a trust anchor is only known in its own region. Use https://rolesanywhere.${anchor.region}.amazonaws.com, or leave endpoint out.`,
    );
  }
  return { ...common, region, durationSeconds, endpoint: url, url, accountId: role.accountId };
}

/** The options after checking. */
export interface CheckedRolesAnywhereOptions extends CheckedMechanismOptions {
  region: string;
  durationSeconds: number;
  /** The service URL (`https://rolesanywhere.<region>.amazonaws.com` or the override). */
  endpoint: URL;
  /** The same as `endpoint`. */
  url: URL;
  /** The role's account, when the answer does not name one. */
  accountId: string;
}

/** The name this check had before every mechanism's check was called `check…Options`. */
export const validateRolesAnywhereOptions = checkRolesAnywhereOptions;

/** Every option name of {@link RolesAnywhereInit}, for the check of unknown options. */
export const ROLES_ANYWHERE_OPTIONS: readonly string[] = [
  ...IDENTITY_OPTIONS,
  "trustAnchorArn",
  "profileArn",
  "roleArn",
  "region",
  "durationSeconds",
  "roleSessionName",
  "endpoint",
  "useFipsEndpoint",
  "useDualstackEndpoint",
  "caBundle",
  "rejectUnauthorized",
  ...MECHANISM_OPTIONS,
] satisfies readonly (keyof RolesAnywhereInit)[];
