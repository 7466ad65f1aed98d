import { join } from "node:path";
import { shellQuote } from "../aws-config/credential-process-command.js";
import { type EmulatedWorld, PROFILES } from "./files.js";

/** The flags of each mechanism, as variables of DIR/env. */
const RA_FLAGS =
  '--certificate "$CERTCREDS_RA_CERTIFICATE" --private-key "$CERTCREDS_RA_PRIVATE_KEY" --intermediates "$CERTCREDS_RA_INTERMEDIATES" --trust-anchor-arn "$CERTCREDS_RA_TRUST_ANCHOR_ARN" --profile-arn "$CERTCREDS_RA_PROFILE_ARN" --role-arn "$CERTCREDS_RA_ROLE_ARN" --endpoint "$CERTCREDS_RA_ENDPOINT"';
const IOT_FLAGS =
  '--certificate "$CERTCREDS_IOT_CERTIFICATE" --private-key "$CERTCREDS_IOT_PRIVATE_KEY" --role-alias "$CERTCREDS_IOT_ROLE_ALIAS" --thing-name "$CERTCREDS_IOT_THING_NAME" --endpoint "$CERTCREDS_IOT_ENDPOINT" --ca-cert "$CERTCREDS_IOT_CA_CERT"';

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
