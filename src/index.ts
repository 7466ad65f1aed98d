/**
 * certcreds: temporary AWS credentials from an X.509 certificate.
 *
 * @packageDocumentation
 */
export type { RefreshPolicy } from "./cache/credential-cache.js";
export type { CredentialSource, TemporaryCredentials } from "./cache/credentials.js";
export type { Clock } from "./cache/clock.js";
export * from "./errors.js";
export type { Identity, IdentityInit } from "./identity/load-identity.js";
export { loadIdentity } from "./identity/load-identity.js";
export type { MaterialInput } from "./identity/material.js";
export { KeyObjectSigner, type Signer, type SigningAlgorithm } from "./identity/signer.js";
export type { Logger } from "./logger.js";
export type { RolesAnywhereInit, RolesAnywhereOptions } from "./mechanisms/roles-anywhere/create-session.js";
export type { RetryOptions } from "./transport/retry.js";
export { CredentialSession, type SessionOptions } from "./surfaces/credential-session.js";
export { fromRolesAnywhere, RolesAnywhereSession, type RolesAnywhereSessionInit } from "./surfaces/roles-anywhere.js";
export { VERSION } from "./version.js";
