/**
 * Every flag certcreds knows. Kept free of help text so the warm
 * `credential-process` path loads nothing more than this table; which
 * command takes which flags is said in the registry.
 */
import { KEY_SOURCE_FLAGS } from "./key-inputs.js";

/** How a flag's value is read. */
export type FlagKind = "string" | "boolean" | "integer";

/** One flag: `--name`, from `CERTCREDS_<NAME>` and from a config-file profile. */
export interface FlagSpec {
  kind: FlagKind;
  /** A file path: `~/` expanded, relative paths in a config file resolved against its directory. */
  path?: boolean;
  /** Never read from a config-file profile (it chooses the profile). */
  notInProfile?: boolean;
}

const path = { kind: "string", path: true } as const;
const text = { kind: "string" } as const;
const flag = { kind: "boolean" } as const;
const integer = { kind: "integer" } as const;

/** Every flag certcreds knows, by name without the leading dashes. */
export const FLAGS = {
  // Identity (both mechanisms).
  certificate: path,
  "private-key": path,
  intermediates: path,
  "pkcs8-password": text,
  ...KEY_SOURCE_FLAGS,
  // IAM Roles Anywhere.
  "trust-anchor-arn": text,
  "profile-arn": text,
  "role-arn": text,
  "session-duration": integer,
  "role-session-name": text,
  // AWS IoT Core credential provider.
  "role-alias": text,
  "thing-name": text,
  // Transport (both mechanisms).
  region: text,
  endpoint: text,
  "ca-cert": path,
  "no-verify-ssl": flag,
  "with-proxy": flag,
  debug: flag,
  // How lines on standard error are written (text or json), and when a certificate close to its end is warned about.
  "log-format": text,
  "expiry-warning-days": integer,
  // Where options come from.
  "profile-name": { kind: "string", notInProfile: true },
  "config-file": { kind: "string", path: true, notInProfile: true },
  // credential-process / cache.
  "cache-dir": path,
  "no-cache": flag,
  // serve.
  port: integer,
  listen: text,
  "allow-host": text,
  "hop-limit": integer,
  "token-file": path,
  // update.
  profile: text,
  once: flag,
  // sign-string.
  string: text,
  format: text,
  digest: text,
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Where settings come from, and how much is said and how: they never change which credentials come back. */
export const SOURCE_FLAGS: FlagName[] = ["profile-name", "config-file", "debug", "log-format"];
/** The certificate, chain and key. */
export const IDENTITY_FLAGS: FlagName[] = ["certificate", "private-key", "intermediates", "pkcs8-password", ...(Object.keys(KEY_SOURCE_FLAGS) as FlagName[])];
/** The flags of every command that obtains credentials. */
export const CREDENTIAL_FLAGS: FlagName[] = [
  ...IDENTITY_FLAGS,
  "trust-anchor-arn",
  "profile-arn",
  "role-arn",
  "session-duration",
  "role-session-name",
  "role-alias",
  "thing-name",
  "region",
  "endpoint",
  "ca-cert",
  "no-verify-ssl",
  "with-proxy",
  "expiry-warning-days",
  ...SOURCE_FLAGS,
];

/** `trust-anchor-arn` → `CERTCREDS_TRUST_ANCHOR_ARN`. */
export function envName(name: string): string {
  return `CERTCREDS_${name.toUpperCase().replace(/-/g, "_")}`;
}
