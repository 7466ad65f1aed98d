/**
 * What `certcreds emulate` writes into its directory: the certificates and
 * keys (keys 0600), `env` (shell `export` lines of every value a user
 * needs) and `aws-config` (two `credential_process` profiles, written by the
 * same code as `certcreds configure`). Every start rewrites them: the ports
 * and the PKI are new each time.
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setConfigProfile } from "../aws-config/config-file.js";
import { credentialProcessValue, shellQuote } from "../aws-config/credential-process-command.js";
import { writeFileAtomic } from "../../core/fs/atomic-write.js";
import { CliConfigurationError } from "../output/usage-error.js";

/** The emulators as `certcreds emulate` uses them (the shape testing/demo/emulator-world.ts returns). */
export interface EmulatedWorld {
  region: string;
  rolesAnywhere: {
    url: string;
    trustAnchorArn: string;
    profileArn: string;
    roleArn: string;
    rootCaPem: string;
    intermediatePem: string;
    device: { certificatePem: string; privateKeyPem: string };
  };
  iot: { url: string; roleAlias: string; thingName: string; thing: { certificatePem: string; privateKeyPem: string }; endpointCaPem: string };
  sts: { url: string };
}

/** The profiles of DIR/aws-config. */
export const PROFILES = { rolesAnywhere: "certcreds-roles-anywhere", iot: "certcreds-iot" } as const;

/** The `[services …]` section of DIR/aws-config, which sends the profiles' STS calls to the emulator. */
const SERVICES = "certcreds-emulate";

/** The variables of DIR/env, in the order written. */
export type EmulateEnvironment = [name: string, value: string][];

/** Creates the directory (0700) or checks it is one. */
export function prepareDirectory(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isDirectory())
    throw new CliConfigurationError(`--dir ${dir} is not a directory: give a directory (it is created when missing).`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliConfigurationError(`--dir ${dir} cannot be created (${(error as NodeJS.ErrnoException).code ?? "error"}): give a directory you can write.`);
  }
}

/** Writes the PEM files and returns their paths. */
function writePki(dir: string, world: EmulatedWorld) {
  const files = {
    raRootCa: join(dir, "ra-root-ca.pem"),
    raIntermediate: join(dir, "ra-intermediate.pem"),
    raCertificate: join(dir, "ra-device.pem"),
    raKey: join(dir, "ra-device.key"),
    iotCertificate: join(dir, "iot-thing.pem"),
    iotKey: join(dir, "iot-thing.key"),
    iotEndpointCa: join(dir, "iot-endpoint-ca.pem"),
  };
  const ra = world.rolesAnywhere;
  writeFileAtomic(files.raRootCa, ra.rootCaPem, 0o644);
  writeFileAtomic(files.raIntermediate, ra.intermediatePem, 0o644);
  writeFileAtomic(files.raCertificate, ra.device.certificatePem, 0o644);
  writeFileAtomic(files.raKey, ra.device.privateKeyPem, 0o600);
  writeFileAtomic(files.iotCertificate, world.iot.thing.certificatePem, 0o644);
  writeFileAtomic(files.iotKey, world.iot.thing.privateKeyPem, 0o600);
  writeFileAtomic(files.iotEndpointCa, world.iot.endpointCaPem, 0o644);
  return files;
}

/** DIR/env: `export NAME=value` lines, values quoted for sh. */
function envFile(dir: string, variables: EmulateEnvironment): string {
  const lines = variables.map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return [
    "# Written by certcreds emulate: the values of the emulators on 127.0.0.1, valid while it runs.",
    `# Load them into a shell with:  . ${shellQuote(join(dir, "env"))}`,
    ...lines,
    "",
  ].join("\n");
}

/** DIR/aws-config: both profiles, with STS sent to the emulator. */
function awsConfig(world: EmulatedWorld, args: { rolesAnywhere: string[]; iot: string[] }): Buffer {
  const header = [
    "# Written by certcreds emulate: profiles that get credentials from the emulators on 127.0.0.1 while it runs.",
    `# AWS_CONFIG_FILE=<this file> aws sts get-caller-identity --profile ${PROFILES.iot}`,
    "",
    `[services ${SERVICES}]`,
    "sts =",
    `  endpoint_url = ${world.sts.url}`,
    "",
  ].join("\n");
  let text: Buffer = Buffer.from(header);
  for (const [profile, profileArgs] of [
    [PROFILES.rolesAnywhere, args.rolesAnywhere],
    [PROFILES.iot, args.iot],
  ] as const) {
    text = setConfigProfile(text, profile, { credential_process: credentialProcessValue(profileArgs), region: world.region, services: SERVICES });
  }
  return text;
}

/**
 * Writes everything into `dir` (already prepared) and returns the
 * variables of DIR/env, for the guide.
 */
export function writeEmulateFiles(dir: string, world: EmulatedWorld): EmulateEnvironment {
  const files = writePki(dir, world);
  const ra = world.rolesAnywhere;
  const cache = join(dir, "cache");
  const variables: EmulateEnvironment = [
    ["AWS_REGION", world.region],
    ["AWS_DEFAULT_REGION", world.region],
    ["AWS_CONFIG_FILE", join(dir, "aws-config")],
    ["AWS_SHARED_CREDENTIALS_FILE", join(dir, "credentials")],
    ["AWS_ENDPOINT_URL_STS", world.sts.url],
    ["CERTCREDS_CACHE_DIR", cache],
    ["CERTCREDS_RA_ENDPOINT", ra.url],
    ["CERTCREDS_RA_TRUST_ANCHOR_ARN", ra.trustAnchorArn],
    ["CERTCREDS_RA_PROFILE_ARN", ra.profileArn],
    ["CERTCREDS_RA_ROLE_ARN", ra.roleArn],
    ["CERTCREDS_RA_CERTIFICATE", files.raCertificate],
    ["CERTCREDS_RA_PRIVATE_KEY", files.raKey],
    ["CERTCREDS_RA_INTERMEDIATES", files.raIntermediate],
    ["CERTCREDS_RA_ROOT_CA", files.raRootCa],
    ["CERTCREDS_IOT_ENDPOINT", world.iot.url],
    ["CERTCREDS_IOT_ROLE_ALIAS", world.iot.roleAlias],
    ["CERTCREDS_IOT_THING_NAME", world.iot.thingName],
    ["CERTCREDS_IOT_CERTIFICATE", files.iotCertificate],
    ["CERTCREDS_IOT_PRIVATE_KEY", files.iotKey],
    ["CERTCREDS_IOT_CA_CERT", files.iotEndpointCa],
  ];
  const rolesAnywhere = [
    ...["--certificate", files.raCertificate, "--private-key", files.raKey, "--intermediates", files.raIntermediate],
    ...["--trust-anchor-arn", ra.trustAnchorArn, "--profile-arn", ra.profileArn, "--role-arn", ra.roleArn, "--endpoint", ra.url, "--cache-dir", cache],
  ];
  const iot = [
    ...["--certificate", files.iotCertificate, "--private-key", files.iotKey, "--role-alias", world.iot.roleAlias, "--thing-name", world.iot.thingName],
    ...["--endpoint", world.iot.url, "--ca-cert", files.iotEndpointCa, "--cache-dir", cache],
  ];
  writeFileAtomic(join(dir, "aws-config"), awsConfig(world, { rolesAnywhere, iot }), 0o600);
  writeFileAtomic(join(dir, "env"), envFile(dir, variables), 0o600);
  return variables;
}
