import type { IdentityInit } from "./identity-init.js";
import type { MaterialInput } from "./material.js";

/** A command-line flag a key source adds, in the CLI's flag table (`--name`, `CERTCREDS_NAME`, config files). */
export interface KeySourceFlag {
  kind: "string" | "boolean" | "integer";
  /** A file path: `~/` expanded, relative paths in a config file resolved against its directory. */
  path?: boolean;
  /** A secret (PIN, password): never part of the credential cache key, never echoed. */
  secret?: boolean;
  /**
   * A flag of AWS's aws_signing_helper for a feature certcreds does not have: accepted (a command line
   * written for the helper is not an "unknown option"), and refused when set, with this reason and what
   * to use instead, after the flag's name.
   */
  refused?: string;
  /** One help line: `<value>  what it does`. */
  help: string;
}

/** What the command line gives a key source: the certificate and key flags as typed, and its own flags. */
export interface KeySourceArguments {
  certificate: string | undefined;
  privateKey: string | undefined;
  /** This source's own flags by name (and the shared identity flags, such as `pkcs8-password`). */
  flag(name: string): string | boolean | number | undefined;
  /** Reads a material flag (`certificate`, `intermediates`, `private-key`) the way the CLI reads any: path, `env:VAR`, `-`. */
  material(name: "certificate" | "intermediates" | "private-key"): Promise<MaterialInput | undefined>;
}

/**
 * How the command line reaches a key source, declared in the source's own
 * folder so that a new source needs no change to the CLI: the flags it adds,
 * the URI scheme of its certificate and key values (`pkcs11:`), and how
 * those become the library's identity init. Kept light: the warm
 * `credential-process` path reads the flags and schemes.
 */
export interface KeySourceCli {
  name: string;
  /** Flags this source adds, by name without dashes. */
  flags: Record<string, KeySourceFlag>;
  /** The scheme its `--certificate` / `--private-key` values start with (`pkcs11:`), if any. */
  scheme?: string;
  /** How `--certificate` and `--private-key` name the form (`pkcs11:URI`), for help lines. */
  form?: string;
  /** Whether the form names a key only (`handle:0x81…`), not a certificate. */
  keyOnly?: boolean;
  /** A value as part of the credential cache key: secrets in it (a PIN) removed. */
  cacheKeyForm?(value: string): string;
  /** What to give instead of a value holding a secret (one {@link cacheKeyForm} changes), where the value is written to a file. */
  secretAdvice?: string;
  /**
   * Whether this source takes the command line: a value with its scheme, or
   * a key it recognises (a file it may look into); `flag` reads the flags
   * when the values alone cannot tell (a key on standard input).
   */
  claims(args: Pick<KeySourceArguments, "certificate" | "privateKey"> & { flag?: KeySourceArguments["flag"] }): boolean;
  /** The identity init; checks the values at once (a ConfigurationError names the input), opens nothing. */
  identityInit(args: KeySourceArguments): Promise<IdentityInit>;
  /** Why `sign-string` cannot use the key (it cannot be read out), and what to use instead. */
  signStringRefusal?: string;
}
