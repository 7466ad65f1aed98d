/**
 * The AWS IoT account the emulator plays: certificates registered on their
 * own or known INACTIVE, things and their attached certificates, role aliases
 * — every certificate known by its IoT id.
 *
 * @module
 */

import { createHash, X509Certificate } from "node:crypto";
import type { IotCredentialEmulatorOptions, IotRoleAliasConfig } from "./options.js";

const ROLE_ARN = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[^/]+\/)*[\w+=,.@-]{1,64}$/;

/** A role alias with its defaults applied and the account of its role. */
export type CheckedRoleAlias = Required<IotRoleAliasConfig> & { accountId: string };

export interface IotAccount {
  /** Certificates registered without their CA. */
  registeredCertificates: Set<string>;
  /** Known certificates whose status is INACTIVE; changes at run time. */
  inactive: Set<string>;
  /** Thing name → ids of the certificates attached to it. */
  things: Map<string, Set<string>>;
  aliases: Map<string, CheckedRoleAlias>;
}

/** AWS IoT's certificate id: the SHA-256 of the DER, lower-case hex. */
export function certificateId(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex");
}

export function idsOf(pems: readonly string[], what: string): string[] {
  return pems.map((pem) => {
    try {
      return certificateId(new X509Certificate(pem).raw);
    } catch (cause) {
      throw new TypeError(`${what}: not a PEM certificate`, { cause });
    }
  });
}

function checkAlias(config: IotRoleAliasConfig): CheckedRoleAlias {
  const account = ROLE_ARN.exec(config.roleArn)?.[1];
  if (!account) throw new TypeError(`roleAliases: "${config.roleArn}" is not an IAM role ARN`);
  const duration = config.credentialDurationSeconds ?? 3600;
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw new TypeError(`roleAliases: credentialDurationSeconds of ${config.alias} must be 900–43200`);
  }
  return {
    alias: config.alias,
    roleArn: config.roleArn,
    credentialDurationSeconds: duration,
    policyAllows: config.policyAllows ?? true,
    roleAssumable: config.roleAssumable ?? true,
    maxSessionDuration: config.maxSessionDuration ?? 3600,
    accountId: account,
  };
}

/** The account described by the options; throws a TypeError naming the first malformed entry. */
export function accountFrom(options: IotCredentialEmulatorOptions): IotAccount {
  return {
    registeredCertificates: new Set(idsOf(options.registeredCertificates ?? [], "registeredCertificates")),
    inactive: new Set(idsOf(options.inactiveCertificates ?? [], "inactiveCertificates")),
    things: new Map(options.things.map((thing) => [thing.name, new Set(idsOf(thing.certificates, `things[${thing.name}]`))])),
    aliases: new Map(options.roleAliases.map((config) => [config.alias, checkAlias(config)])),
  };
}
