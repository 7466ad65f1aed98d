import { join } from "node:path";
import { shellQuote } from "../aws-config/credential-process-command.js";
import { type EmulatedWorld, PROFILES } from "./files.js";

/** The flags of each mechanism, as variables of DIR/env. */
const RA_FLAGS =
  '--certificate "$RA_CERTIFICATE" --private-key "$RA_PRIVATE_KEY" --intermediates "$RA_INTERMEDIATES" --trust-anchor-arn "$RA_TRUST_ANCHOR_ARN" --profile-arn "$RA_PROFILE_ARN" --role-arn "$RA_ROLE_ARN" --endpoint "$RA_ENDPOINT"';
const IOT_FLAGS =
  '--certificate "$IOT_CERTIFICATE" --private-key "$IOT_PRIVATE_KEY" --role-alias "$IOT_ROLE_ALIAS" --thing-name "$IOT_THING_NAME" --endpoint "$IOT_ENDPOINT" --ca-cert "$IOT_CA_CERT"';

/** What `certcreds emulate` prints once the emulators listen: where they are, what was written, commands to try. */
export function guide(dir: string, world: EmulatedWorld, command: readonly string[]): string {
  return [
    "certcreds emulate — local emulators with a throwaway PKI, no AWS account needed",
    `  IAM Roles Anywhere  ${world.rolesAnywhere.url}`,
    `  AWS IoT             ${world.iot.url}  (mutual TLS; its CA: ${join(dir, "iot-endpoint-ca.pem")})`,
    `  STS                 ${world.sts.url}`,
    `Wrote the certificates, keys, env and aws-config to ${dir}. Try, in another shell:`,
    "",
    `  . ${shellQuote(join(dir, "env"))}`,
    `  aws sts get-caller-identity --profile ${PROFILES.rolesAnywhere}`,
    `  aws sts get-caller-identity --profile ${PROFILES.iot}`,
    `  certcreds credential-process ${RA_FLAGS}`,
    `  certcreds credential-process ${IOT_FLAGS}`,
    `  certcreds doctor ${IOT_FLAGS}`,
    `  certcreds serve --port 0 ${RA_FLAGS}`,
    `  certcreds configure --profile my-device --region "$AWS_REGION" ${RA_FLAGS}`,
    "",
    `certcreds is this program: ${command.map(shellQuote).join(" ")}.`,
    'An AWS CLI older than 2.13 (or 1.29) reads no endpoint from the config or environment: add --endpoint-url "$AWS_ENDPOINT_URL_STS".',
    "Ctrl-C stops the emulators.",
    "",
  ].join("\n");
}
