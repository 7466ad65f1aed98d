import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ConfigurationError } from "../../core/errors.js";
import type { CredentialSession } from "./credential-session.js";
import { IotCredentialSession, type IotSessionInit } from "./iot.js";
import { RolesAnywhereSession, type RolesAnywhereSessionInit } from "./roles-anywhere.js";

/** Init of either mechanism: Roles Anywhere (has `trustAnchorArn`) or IoT (has `roleAlias`). */
export type CertificateSessionInit = RolesAnywhereSessionInit | IotSessionInit;

function has(init: object, key: string): boolean {
  return (init as Record<string, unknown>)[key] !== undefined;
}

/**
 * A credential session for whichever mechanism the init describes, so that
 * switching from IAM Roles Anywhere to AWS IoT (or back) changes the init
 * object and nothing else.
 */
export function createCredentialSession(init: RolesAnywhereSessionInit): RolesAnywhereSession;
export function createCredentialSession(init: IotSessionInit): IotCredentialSession;
export function createCredentialSession(init: CertificateSessionInit): CredentialSession;
export function createCredentialSession(init: CertificateSessionInit): CredentialSession {
  if (init === null || typeof init !== "object") {
    throw new ConfigurationError(
      "init",
      "Pass an init object: trustAnchorArn, profileArn and roleArn for IAM Roles Anywhere, or endpoint, roleAlias and thingName for AWS IoT.",
    );
  }
  const rolesAnywhere = has(init, "trustAnchorArn");
  const iot = has(init, "roleAlias");
  if (rolesAnywhere && iot) {
    throw new ConfigurationError(
      "trustAnchorArn",
      "The init has both trustAnchorArn (IAM Roles Anywhere) and roleAlias (AWS IoT credential provider): pass the options of one mechanism only.",
    );
  }
  if (rolesAnywhere) return new RolesAnywhereSession(init as RolesAnywhereSessionInit);
  if (iot) return new IotCredentialSession(init as IotSessionInit);
  throw new ConfigurationError(
    "trustAnchorArn",
    "The init names no mechanism: pass trustAnchorArn, profileArn and roleArn for IAM Roles Anywhere, or endpoint, roleAlias and thingName for the AWS IoT credential provider.",
  );
}

/** The AWS SDK v3 credential provider of {@link createCredentialSession}: `credentials: fromCertificate(init)`. */
export function fromCertificate(init: CertificateSessionInit): AwsCredentialIdentityProvider {
  return createCredentialSession(init).provider;
}
