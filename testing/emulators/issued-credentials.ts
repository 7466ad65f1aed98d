/**
 * The registry of temporary credentials handed out by the emulators.
 *
 * The Roles Anywhere emulator (and any other credential-vending emulator)
 * records what it issues here; the STS emulator accepts exactly those
 * credentials and nothing else. Sharing one store between emulators is what
 * lets a test prove end to end that vended credentials actually work.
 *
 * @module
 */

import { createHash, randomBytes, randomInt } from "node:crypto";

/** One set of temporary credentials and the identity they were issued for. */
export interface IssuedCredentials {
  /** `ASIA` followed by 16 uppercase alphanumerics, like real STS session keys. */
  accessKeyId: string;
  /** 40 characters. Secret: never log it. */
  secretAccessKey: string;
  /** Opaque session token. Secret: never log it. */
  sessionToken: string;
  /** When the credentials stop working. */
  expiration: Date;
  /** 12-digit account id. */
  accountId: string;
  /** The IAM role, `arn:aws:iam::<account>:role/<name>`. */
  roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`. */
  assumedRoleArn: string;
  /** `AROA…:<session name>`: the `UserId` that GetCallerIdentity reports. */
  assumedRoleId: string;
  /** The session name the role was assumed with. */
  roleSessionName: string;
  /** Source identity attached to the session (Roles Anywhere sets `CN=<leaf CN>`), if any. */
  sourceIdentity: string | undefined;
}

/** What {@link IssuedCredentialStore.issue} needs to mint credentials. */
export interface IssueCredentialsRequest {
  accountId: string;
  /** `arn:<partition>:iam::<account>:role/[path/]<name>`. */
  roleArn: string;
  roleSessionName: string;
  expiration: Date;
  sourceIdentity?: string;
}

/** The alphabet of real AWS access key ids (base32: A–Z, 2–7). */
const KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function randomString(alphabet: string, length: number): string {
  let out = "";
  // randomInt is uniform, unlike `byte % alphabet.length`.
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/**
 * A stable role id per role ARN (real role ids do not change between sessions),
 * derived from a hash so no state is needed.
 */
function roleIdFor(roleArn: string): string {
  const digest = createHash("sha256").update(roleArn).digest();
  let id = "AROA";
  for (let i = 0; i < 17; i++) id += KEY_ID_ALPHABET[(digest[i] ?? 0) % KEY_ID_ALPHABET.length];
  return id;
}

/** Parses `arn:<partition>:iam::<account>:role/[path/]<name>` into the partition and the role name. */
function parseRoleArn(roleArn: string): { partition: string; roleName: string } {
  const match = /^arn:([a-z0-9-]+):iam::\d{12}:role\/(?:[^/]+\/)*([^/]+)$/.exec(roleArn);
  if (!match?.[1] || !match[2]) throw new TypeError(`Not an IAM role ARN: ${roleArn}`);
  return { partition: match[1], roleName: match[2] };
}

/**
 * A `Map` from access key id to {@link IssuedCredentials}, plus
 * {@link IssuedCredentialStore.issue} to mint new ones.
 *
 * Being a real `Map`, tests can inspect it (`size`, iteration), revoke
 * credentials (`delete`) or plant hand-made ones (`set`).
 */
export class IssuedCredentialStore extends Map<string, IssuedCredentials> {
  /** Mints fresh random credentials for an assumed-role session and registers them. */
  issue(request: IssueCredentialsRequest): IssuedCredentials {
    const { partition, roleName } = parseRoleArn(request.roleArn);
    let accessKeyId: string;
    do accessKeyId = `ASIA${randomString(KEY_ID_ALPHABET, 16)}`;
    while (this.has(accessKeyId));
    const credentials: IssuedCredentials = {
      accessKeyId,
      secretAccessKey: randomString(SECRET_ALPHABET, 40),
      // Real tokens are several hundred base64 characters including '+', '/' and
      // '='; keep those so consumers that mangle them (URL or INI encoding) fail.
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(332).toString("base64")}`,
      expiration: new Date(request.expiration.getTime()),
      accountId: request.accountId,
      roleArn: request.roleArn,
      assumedRoleArn: `arn:${partition}:sts::${request.accountId}:assumed-role/${roleName}/${request.roleSessionName}`,
      assumedRoleId: `${roleIdFor(request.roleArn)}:${request.roleSessionName}`,
      roleSessionName: request.roleSessionName,
      sourceIdentity: request.sourceIdentity,
    };
    this.set(accessKeyId, credentials);
    return credentials;
  }
}
