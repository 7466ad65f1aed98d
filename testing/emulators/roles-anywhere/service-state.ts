/**
 * What the emulated service knows — its region, account, trust anchors and
 * profiles — resolved and checked from the emulator's options.
 *
 * @module
 */

import { randomUUID, type X509Certificate } from "node:crypto";
import { parseCertificates } from "../certificate-path.js";
import { IssuedCredentialStore } from "../issued-credentials.js";
import type { RolesAnywhereEmulatorOptions } from "./options.js";

export const DEFAULT_DURATION_SECONDS = 3600;

const PARTITION = "aws(?:-[a-z]+)*";
const REGION = "[a-z]{2}(?:-[a-z]+)+-\\d+";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
export const ARN_PATTERN = {
  trustAnchorArn: new RegExp(`^arn:${PARTITION}:rolesanywhere:${REGION}:\\d{12}:trust-anchor/${UUID}$`),
  profileArn: new RegExp(`^arn:${PARTITION}:rolesanywhere:${REGION}:\\d{12}:profile/${UUID}$`),
  roleArn: new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`),
} as const;

export interface TrustAnchorState {
  arn: string;
  certificates: X509Certificate[];
  enabled: boolean;
}

export interface ProfileState {
  arn: string;
  roleArns: string[];
  durationSeconds: number;
  acceptRoleSessionName: boolean;
  enabled: boolean;
}

/** Everything a CreateSession verification depends on. */
export interface ServiceState {
  region: string;
  accountId: string;
  now: () => number;
  trustAnchors: TrustAnchorState[];
  profiles: ProfileState[];
  issued: IssuedCredentialStore;
  lifetimeSeconds: number | undefined;
}

export function resolveState(options: RolesAnywhereEmulatorOptions): ServiceState {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "123456789012";
  if (!new RegExp(`^${REGION}$`).test(region)) throw new TypeError(`Invalid region: ${region}`);
  if (!/^\d{12}$/.test(accountId)) throw new TypeError(`Invalid account id: ${accountId}`);
  const arnPrefix = `arn:aws:rolesanywhere:${region}:${accountId}`;
  const checked = (arn: string, kind: keyof typeof ARN_PATTERN): string => {
    if (!ARN_PATTERN[kind].test(arn)) throw new TypeError(`Invalid ${kind}: ${arn} (must match ${ARN_PATTERN[kind].source})`);
    return arn;
  };
  const trustAnchors = options.trustAnchors.map((anchor) => ({
    arn: checked(anchor.arn ?? `${arnPrefix}:trust-anchor/${randomUUID()}`, "trustAnchorArn"),
    certificates: anchor.certificates.flatMap(parseCertificates),
    enabled: anchor.enabled ?? true,
  }));
  const profiles = options.profiles.map((profile) => ({
    arn: checked(profile.arn ?? `${arnPrefix}:profile/${randomUUID()}`, "profileArn"),
    roleArns: profile.roleArns.map((arn) => checked(arn, "roleArn")),
    durationSeconds: profile.durationSeconds ?? DEFAULT_DURATION_SECONDS,
    acceptRoleSessionName: profile.acceptRoleSessionName ?? false,
    enabled: profile.enabled ?? true,
  }));
  if (options.lifetimeSeconds !== undefined && !(options.lifetimeSeconds > 0)) {
    throw new TypeError("lifetimeSeconds must be positive");
  }
  return {
    region,
    accountId,
    now: options.now ?? Date.now,
    trustAnchors,
    profiles,
    issued: options.issued ?? new IssuedCredentialStore(),
    lifetimeSeconds: options.lifetimeSeconds,
  };
}
