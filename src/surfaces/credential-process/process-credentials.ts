import type { TemporaryCredentials } from "../../core/credentials.js";
import { rfc3339 } from "./rfc3339.js";

/** The `credential_process` JSON, as the AWS CLI and SDKs read it from a program's standard output. */
export interface ProcessCredentials {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** RFC 3339 UTC. */
  Expiration: string;
  AccountId?: string;
}

export function toProcessCredentials(credentials: TemporaryCredentials): ProcessCredentials {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: rfc3339(credentials.expiration),
    ...(credentials.accountId ? { AccountId: credentials.accountId } : {}),
  };
}

/** The exact `credential_process` output line: known fields only, in AWS's order. */
export function processOutput(credentials: ProcessCredentials): string {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration, AccountId } = credentials;
  return `${JSON.stringify({ Version: 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration, ...(AccountId ? { AccountId } : {}) })}\n`;
}
