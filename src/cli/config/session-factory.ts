import type { RefreshPolicy } from "../../cache/credential-cache.js";
import type { IdentityInit } from "../../identity/load-identity.js";
import type { MaterialInput } from "../../identity/material.js";
import type { Logger } from "../../core/logger.js";
import type { IotSessionInit } from "../../surfaces/iot.js";
import type { RolesAnywhereSessionInit } from "../../surfaces/roles-anywhere.js";
import type { CredentialSession } from "../../surfaces/credential-session.js";
import { createCredentialSession } from "../../surfaces/any-mechanism.js";
import type { FlagName } from "./flags.js";
import type { Mechanism } from "./mechanism.js";
import type { Settings } from "./settings.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";

let stdinRead: Promise<Buffer> | undefined;

/** Standard input, read once: `--private-key -` keeps the key off the disk. */
function readStdin(): Promise<Buffer> {
  stdinRead ??= (async () => {
    if (process.stdin.isTTY) {
      throw new UsageError("--private-key - reads the key from standard input, but standard input is a terminal: pipe the key in, e.g. `vault read ... | certcreds ...`.");
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  return stdinRead;
}

/**
 * Turns a material flag into the library's MaterialInput: a path stays a
 * path (the library re-reads it at each refresh, so renewed files are used),
 * `env:NAME` takes PEM text (or base64 DER) from a variable, `-` reads
 * standard input. Nothing is written to disk.
 */
export async function materialFrom(settings: Settings, name: FlagName): Promise<MaterialInput | undefined> {
  const value = settings.string(name);
  if (value === undefined || value === "") return undefined;
  if (value === "-") {
    const bytes = await readStdin();
    if (bytes.length === 0) throw new CliConfigurationError(`${settings.describe(name)} is "-" but standard input was empty: pipe the PEM in.`);
    return bytes;
  }
  if (value.startsWith("env:")) {
    const variable = value.slice(4);
    const text = process.env[variable];
    if (text === undefined || text.trim() === "") {
      throw new CliConfigurationError(`${settings.describe(name)} is "${value}" but the environment variable ${variable} is not set or empty: export it with the PEM text.`);
    }
    if (text.includes("-----BEGIN")) return text.replace(/\\n/g, "\n");
    return Buffer.from(text.replace(/\s+/g, ""), "base64");
  }
  if (value.startsWith("pkcs11:")) {
    throw new CliConfigurationError(`${settings.describe(name)} is a pkcs11: URI, which "certcreds ${settings.command}" cannot use: pass a file, env:VAR or -.`);
  }
  return value;
}

/** The identity part of either mechanism's init: certificate, chain, key, passphrase — or a PKCS#11 signer. */
async function identityInit(settings: Settings): Promise<IdentityInit> {
  const certificateValue = settings.string("certificate");
  const keyValue = settings.string("private-key");
  if (certificateValue === undefined) {
    throw new UsageError("--certificate is required: the path of the certificate (PEM or DER), or a pkcs11: URI.");
  }
  if (certificateValue.startsWith("pkcs11:") || keyValue?.startsWith("pkcs11:")) {
    const { pkcs11IdentityInit } = await import("./key-inputs.js");
    return pkcs11IdentityInit(settings);
  }
  const certificate = (await materialFrom(settings, "certificate"))!;
  const privateKey = await materialFrom(settings, "private-key");
  const chain = await materialFrom(settings, "intermediates");
  const passphrase = settings.string("pkcs8-password");
  return {
    certificate,
    ...(chain !== undefined ? { certificateChain: chain } : {}),
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
}

/** Options of the session itself (not of the mechanism). */
export interface SessionSettings {
  logger: Logger;
  refresh?: RefreshPolicy;
}

/** Maps the flags to `RolesAnywhereSessionInit` or `IotSessionInit`; the library validates them. */
export async function sessionInit(
  settings: Settings,
  mechanism: Mechanism,
  session: SessionSettings,
): Promise<RolesAnywhereSessionInit | IotSessionInit> {
  const identity = await identityInit(settings);
  const ca = await materialFrom(settings, "ca-cert");
  const region = settings.string("region");
  const endpoint = settings.string("endpoint");
  const common = {
    ...identity,
    logger: session.logger,
    ...(session.refresh ? { refresh: session.refresh } : {}),
    ...(region !== undefined ? { region } : {}),
    // Like aws_signing_helper: a proxy only with --with-proxy (then from HTTPS_PROXY / NO_PROXY).
    ...(settings.boolean("with-proxy") ? {} : { proxy: false as const }),
  };
  if (mechanism === "rolesanywhere") {
    const duration = settings.integer("session-duration");
    const roleSessionName = settings.string("role-session-name");
    return {
      ...common,
      trustAnchorArn: settings.string("trust-anchor-arn")!,
      profileArn: settings.string("profile-arn") as string,
      roleArn: settings.string("role-arn") as string,
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      ...(roleSessionName !== undefined ? { roleSessionName } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(ca !== undefined ? { caBundle: ca } : {}),
      ...(settings.boolean("no-verify-ssl") ? { rejectUnauthorized: false } : {}),
    };
  }
  if (endpoint === undefined) {
    throw new UsageError(
      "--endpoint is required for AWS IoT: the account's credential provider host, from `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`.",
    );
  }
  return {
    ...common,
    endpoint,
    roleAlias: settings.string("role-alias")!,
    thingName: settings.string("thing-name") as string,
    logLevel: settings.boolean("debug") ? "debug" : "warn",
    ...(ca !== undefined ? { ca } : {}),
    ...(settings.boolean("no-verify-ssl") ? { verifyPeer: false } : {}),
  };
}

/** A credential session for the configured mechanism: the library's, not a second implementation. */
export async function openSession(settings: Settings, mechanism: Mechanism, session: SessionSettings): Promise<CredentialSession> {
  return createCredentialSession(await sessionInit(settings, mechanism, session));
}
