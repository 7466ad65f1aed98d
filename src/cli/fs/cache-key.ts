import { resolve } from "node:path";
import { CREDENTIAL_FLAGS, type FlagName, SOURCE_FLAGS } from "../config/flags.js";
import { certificateBytes, isSpecialMaterial, SECRET_KEY_SOURCE_FLAGS, withoutPin } from "../config/key-inputs.js";
import type { Mechanism } from "../config/mechanism.js";
import type { Settings } from "../config/settings.js";
import { sha256Hex } from "./sha256.js";

/**
 * Settings that change which credentials come back: every credentials flag but where settings come from, the
 * passphrase (a secret, and it does not choose the credentials) and the expiry warning threshold (it only decides
 * what is said). Derived, so that a new flag cannot be forgotten here.
 */
const KEYED: FlagName[] = CREDENTIAL_FLAGS.filter(
  (flag) =>
    !SOURCE_FLAGS.includes(flag) &&
    flag !== "pkcs8-password" &&
    flag !== "expiry-warning-days" &&
    !(SECRET_KEY_SOURCE_FLAGS as readonly string[]).includes(flag),
);

/**
 * The cache key: SHA-256 over the whole normalised configuration and the
 * certificate's fingerprint. Undefined when the certificate cannot be read.
 */
export function cacheKey(settings: Settings, mechanism: Mechanism, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const certificate = certificateBytes(settings.string("certificate"), env);
  if (certificate === undefined) return undefined;
  const normalised: Record<string, string | number | boolean> = { v: 1, mechanism };
  for (const name of KEYED) {
    if (!settings.has(name)) continue;
    const value = withoutPin(settings.string(name)!);
    normalised[name] =
      (name === "certificate" || name === "private-key" || name === "intermediates" || name === "ca-cert") && !isSpecialMaterial(value)
        ? resolve(value)
        : value;
  }
  // Environment that changes the endpoint chosen.
  for (const name of ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"]) {
    if (env[name]) normalised[name] = env[name];
  }
  normalised.certificateSha256 = sha256Hex(certificate);
  return sha256Hex(JSON.stringify(normalised));
}
