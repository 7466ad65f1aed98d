import type { FlagName } from "./flags.js";
import type { Settings } from "./settings.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";

/** Which credential service a configuration talks to. */
export type Mechanism = "rolesanywhere" | "iot";

const ROLES_ANYWHERE_ONLY: FlagName[] = ["trust-anchor-arn", "profile-arn", "role-arn", "session-duration", "role-session-name"];
const IOT_ONLY: FlagName[] = ["role-alias", "thing-name"];

/**
 * `--trust-anchor-arn` selects IAM Roles Anywhere, `--role-alias` AWS IoT;
 * both or neither is a usage error that says what to pass. Options of the
 * other mechanism are refused rather than silently ignored.
 */
export function selectMechanism(settings: Settings): Mechanism {
  const ra = settings.has("trust-anchor-arn");
  const iot = settings.has("role-alias");
  if (ra && iot) {
    throw new UsageError(
      `both ${settings.describe("trust-anchor-arn")} (IAM Roles Anywhere) and ${settings.describe("role-alias")} (AWS IoT) are set: pass only one — --trust-anchor-arn with --profile-arn and --role-arn, or --role-alias with --thing-name and --endpoint.`,
    );
  }
  if (!ra && !iot) {
    throw new UsageError(
      `no mechanism chosen: pass --trust-anchor-arn, --profile-arn and --role-arn for IAM Roles Anywhere, or --role-alias, --thing-name and --endpoint for AWS IoT (or set them in a config-file profile, see --help).`,
    );
  }
  const mechanism: Mechanism = ra ? "rolesanywhere" : "iot";
  const foreign = (ra ? IOT_ONLY : ROLES_ANYWHERE_ONLY).find((name) => settings.has(name));
  if (foreign !== undefined) {
    const message = `${settings.describe(foreign)} is an option of ${ra ? "AWS IoT" : "IAM Roles Anywhere"}, but ${ra ? "--trust-anchor-arn selects IAM Roles Anywhere" : "--role-alias selects AWS IoT"}. Remove it${foreign === "session-duration" ? " (with IoT the role alias sets the lifetime, credentialDurationSeconds)" : ""}.`;
    throw settings.source(foreign) === "flag" ? new UsageError(message) : new CliConfigurationError(message);
  }
  return mechanism;
}
