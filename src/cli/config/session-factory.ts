import type { RefreshPolicy } from "../../cache/credential-cache.js";
import type { Logger } from "../../core/logger.js";
import type { CredentialObserver } from "../../core/events.js";
import type { IotSessionInit } from "../../surfaces/sdk/iot.js";
import type { RolesAnywhereSessionInit } from "../../surfaces/sdk/roles-anywhere.js";
import type { CredentialSession } from "../../surfaces/sdk/credential-session.js";
import { createCredentialSession } from "../../surfaces/sdk/any-mechanism.js";
import { identityInit, materialFrom } from "./key-inputs.js";
import type { Mechanism } from "./mechanism.js";
import type { FlagName } from "./flags.js";
import type { Settings } from "./settings.js";
import { warningDays } from "../output/expiry-warnings.js";
import { UsageError } from "../output/usage-error.js";

/** Options of the session itself (not of the mechanism). */
export interface SessionSettings {
  logger: Logger;
  refresh?: RefreshPolicy;
  /** Told every refresh's events (serve's metrics). */
  observer?: CredentialObserver;
  /** Overrides --expiry-warning-days (a one-shot command that keeps its own reminder passes 0). */
  expiryWarningDays?: number;
}

/**
 * The values a mechanism cannot do without, besides the certificate: a
 * missing one is a usage error (exit 2), like an unknown flag, named as the
 * user types it.
 */
export function requireMechanismFlags(settings: Settings, mechanism: Mechanism): void {
  const required: [FlagName, string][] =
    mechanism === "rolesanywhere"
      ? [
          ["profile-arn", "the IAM Roles Anywhere profile, e.g. arn:aws:rolesanywhere:us-east-1:123456789012:profile/<uuid>"],
          ["role-arn", "the IAM role to assume, e.g. arn:aws:iam::123456789012:role/<name>"],
        ]
      : [["thing-name", "the AWS IoT thing the certificate is attached to"]];
  for (const [flag, what] of required) {
    if (!settings.has(flag)) throw new UsageError(`--${flag} is required: ${what}.`);
  }
  if (mechanism === "iot" && !settings.has("endpoint")) {
    throw new UsageError(
      "--endpoint is required for AWS IoT: the account's credential provider host, from `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`.",
    );
  }
}

/** Maps the flags to `RolesAnywhereSessionInit` or `IotSessionInit`; the library validates them. */
export async function sessionInit(settings: Settings, mechanism: Mechanism, session: SessionSettings): Promise<RolesAnywhereSessionInit | IotSessionInit> {
  requireMechanismFlags(settings, mechanism);
  const identity = await identityInit(settings);
  const ca = await materialFrom(settings, "ca-cert");
  const region = settings.string("region");
  const endpoint = settings.string("endpoint");
  // Checked here too (the library would name its option, not where the value was set).
  const threshold = warningDays(settings);
  const expiryWarningDays = session.expiryWarningDays ?? threshold;
  const common = {
    ...identity,
    logger: session.logger,
    ...(session.refresh ? { refresh: session.refresh } : {}),
    ...(session.observer ? { observer: session.observer } : {}),
    expiryWarningDays,
    ...(region !== undefined ? { region } : {}),
    // Like aws_signing_helper: a proxy only with --with-proxy (then from HTTPS_PROXY / NO_PROXY).
    ...(settings.boolean("with-proxy") ? {} : { proxy: false as const }),
  };
  if (mechanism === "rolesanywhere") {
    const duration = settings.integer("session-duration");
    const roleSessionName = settings.string("role-session-name");
    return {
      ...common,
      // --debug shows the canonical request and the string to sign, to compare with the service's on a signature mismatch.
      ...(settings.boolean("debug") ? { logLevel: "trace" as const } : {}),
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
  return {
    ...common,
    endpoint: endpoint!,
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
