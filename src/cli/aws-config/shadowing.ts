/**
 * What would make the AWS CLI and SDKs skip a profile's credential_process:
 * they try assume-role, web identity and SSO settings of the profile, and
 * static keys of the same profile in the shared credentials file, first.
 */
import { sharedCredentialsFile } from "../../surfaces/credentials-file/credentials-file.js";
import { parseIni } from "../config/ini.js";
import { readRegularFileSync } from "../../core/fs/read-regular-file.js";

/** Keys of a config profile that win over credential_process (as parseIni spells them). */
const CONFIG_KEYS = ["role-arn", "web-identity-token-file", "sso-session", "sso-start-url"];

function sectionsOf(path: string) {
  const read = readRegularFileSync(path, { maxBytes: 4 * 1024 * 1024 });
  return "bytes" in read ? parseIni(read.bytes.toString("utf8")) : new Map<string, Map<string, string>>();
}

/** A one-line warning when profile `name` would not run its credential_process, else undefined. */
export function shadowingWarning(configFile: string, name: string): string | undefined {
  const shadow = CONFIG_KEYS.find((key) => sectionsOf(configFile).get(name)?.has(key));
  if (shadow !== undefined) {
    return `profile ${name} of ${configFile} also sets ${shadow.replace(/-/g, "_")}, which the AWS CLI and SDKs use before credential_process: remove it there.`;
  }
  const credentials = sharedCredentialsFile();
  if (sectionsOf(credentials).get(name)?.has("aws-access-key-id")) {
    return `[${name}] of ${credentials} holds aws_access_key_id, which the AWS CLI and SDKs use before credential_process: remove those keys there (or stop "certcreds update --profile ${name}").`;
  }
  return undefined;
}
