import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ROLES_ANYWHERE_OPTIONS, type RolesAnywhereInit } from "../../mechanisms/roles-anywhere/options.js";
import { RolesAnywhereSource } from "../../mechanisms/roles-anywhere/source.js";
import { CredentialSession, checkSessionInit, type SessionOptions, sessionLogger } from "./credential-session.js";

/** Init of {@link fromRolesAnywhere} and {@link RolesAnywhereSession}. */
export type RolesAnywhereSessionInit = RolesAnywhereInit & SessionOptions;

/**
 * A Roles Anywhere session, like Python's `iamra.Credentials`: nothing is
 * fetched before the first {@link CredentialSession.getCredentials}. Options
 * are checked at once; files are read at each refresh.
 */
export class RolesAnywhereSession extends CredentialSession {
  constructor(init: RolesAnywhereSessionInit) {
    checkSessionInit(init, ROLES_ANYWHERE_OPTIONS, "The IAM Roles Anywhere init");
    const logger = sessionLogger(init);
    const source = new RolesAnywhereSource({ ...init, logger });
    super(source, logger, init);
    this.defaultRegion = source.region;
  }
}

/**
 * An AWS SDK v3 credential provider for IAM Roles Anywhere:
 * `new S3Client({ region, credentials: fromRolesAnywhere({ certificate, privateKey, trustAnchorArn, profileArn, roleArn }) })`.
 * One provider caches for every client it is given to.
 */
export function fromRolesAnywhere(init: RolesAnywhereSessionInit): AwsCredentialIdentityProvider {
  return new RolesAnywhereSession(init).provider;
}
