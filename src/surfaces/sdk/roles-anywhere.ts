import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { DeferredSource } from "../../mechanisms/deferred-source.js";
import { checkRolesAnywhereOptions, ROLES_ANYWHERE_NAME, ROLES_ANYWHERE_OPTIONS, type RolesAnywhereInit } from "../../mechanisms/roles-anywhere/options.js";
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
    const sourceInit = { ...init, logger };
    const checked = checkRolesAnywhereOptions(sourceInit);
    // The signing and HTTP code loads at the first fetch (see DeferredSource).
    const source = new DeferredSource(
      ROLES_ANYWHERE_NAME,
      async () => new (await import("../../mechanisms/runtime.js")).RolesAnywhereSource(sourceInit, checked),
    );
    super(source, logger, init);
    this.defaultRegion = checked.region;
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
