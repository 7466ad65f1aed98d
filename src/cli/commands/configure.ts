import { checkRegion } from "../../aws/region.js";
import { checkIotOptions } from "../../mechanisms/iot/options.js";
import { checkRolesAnywhereOptions } from "../../mechanisms/roles-anywhere/options.js";
import { awsConfigFile, PROFILE_NAME, writeConfigProfile } from "../aws-config/config-file.js";
import { credentialProcessValue } from "../aws-config/credential-process-command.js";
import { credentialProcessArguments } from "../aws-config/profile-arguments.js";
import { shadowingWarning } from "../aws-config/shadowing.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { requireMechanismFlags } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { IOT_EXAMPLE, RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { writeLogLine } from "../output/log-line.js";
import { UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds configure --profile <name> [--region <region>] <options of credential-process>",
  description:
    "Writes a profile of the AWS config file (AWS_CONFIG_FILE or ~/.aws/config): [profile <name>] ([default] for default) with credential_process = <node> <certcreds> credential-process <options>, " +
    "naming the Node binary and the certcreds script by absolute path (whatever the install: global, local or npx) and every file by absolute path, so the profile works from any directory without PATH. " +
    "An existing profile is updated in place: only credential_process (and region) change, every other byte of the file stays; the write is atomic and locked. " +
    "Secrets are never written: give a passphrase with CERTCREDS_PKCS8_PASSWORD, a PIN with pin-source or CERTCREDS_PKCS11_PIN, a key as a file or env:VAR — in the environment the AWS CLI or SDK runs in.",
  examples: [
    `certcreds configure --profile device --region us-east-1 ${RA_EXAMPLE}\naws sts get-caller-identity --profile device`,
    `certcreds configure --profile thing ${IOT_EXAMPLE}`,
    "# options kept in ~/.config/certcreds/config, section [device]\ncertcreds configure --profile device --profile-name device",
  ],
  flagHelp: {
    profile: "<name>  profile of the AWS config file to write (required; default writes [default])",
    region: "<region>  the profile's region (what AWS clients call); not passed to credential-process, whose region comes from the ARN or endpoint",
    debug: "print debug lines on standard error (never secrets); not written into the profile",
  },
};

/** The profile name, required and one every SDK reads back. */
function profileName(settings: Settings): string {
  const name = settings.string("profile");
  if (name === undefined) {
    throw new UsageError('--profile is required: the name of the AWS profile to write, e.g. --profile device ("default" writes [default]).');
  }
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `${settings.describe("profile")} "${name.slice(0, 64)}" is not a profile name every AWS SDK reads: use letters, digits and _ - . @ + % : / only.`,
    );
  }
  return name;
}

/** The library's own offline checks of ARNs, region, endpoint and duration, before anything is written. */
function checkMechanismOptions(settings: Settings, mechanism: Mechanism): void {
  const endpoint = settings.string("endpoint");
  if (mechanism === "rolesanywhere") {
    const duration = settings.integer("session-duration");
    checkRolesAnywhereOptions({
      trustAnchorArn: settings.string("trust-anchor-arn")!,
      profileArn: settings.string("profile-arn")!,
      roleArn: settings.string("role-arn")!,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
    });
    return;
  }
  checkIotOptions({
    endpoint: endpoint!,
    roleAlias: settings.string("role-alias")!,
    thingName: settings.string("thing-name")!,
    certificate: settings.string("certificate") ?? "",
  });
}

/**
 * `certcreds configure`: one `credential_process` profile of the AWS config
 * file, checked before it is written, written so that it runs the very
 * certcreds that wrote it.
 */
export async function run(settings: Settings): Promise<number> {
  const profile = profileName(settings);
  const mechanism = selectMechanism(settings);
  requireMechanismFlags(settings, mechanism);
  if (!settings.has("certificate")) throw new UsageError("--certificate is required: the path of the certificate (PEM or DER), or env:VAR.");
  checkMechanismOptions(settings, mechanism);
  const region = settings.source("region") === "flag" ? checkRegion(settings.string("region")!) : undefined;
  const credentialProcess = credentialProcessValue(credentialProcessArguments(settings));
  const file = awsConfigFile();
  await writeConfigProfile(file, profile, { credential_process: credentialProcess, ...(region !== undefined ? { region } : {}) });
  const section = profile === "default" ? "[default]" : `[profile ${profile}]`;
  const via = mechanism === "iot" ? "AWS IoT" : "IAM Roles Anywhere";
  process.stdout.write(
    `certcreds configure: wrote ${section} of ${file}: credential_process runs certcreds credential-process (${via})${region ? `, region ${region}` : ""}.\n`,
  );
  process.stdout.write(`Try it: aws sts get-caller-identity --profile ${profile}\n`);
  const warning = shadowingWarning(file, profile);
  if (warning) writeLogLine("warn", "profile-shadowed", warning, { profile, file }, `certcreds configure: warning: ${warning}`);
  return 0;
}
