/**
 * certcreds: temporary AWS credentials from an X.509 certificate.
 *
 * @packageDocumentation
 * @module certcreds
 */
export type { RefreshPolicy } from "./cache/credential-cache.js";
export type { CredentialSource, TemporaryCredentials } from "./core/credentials.js";
export type { Clock } from "./core/clock.js";
export * from "./core/errors.js";
export type { Identity, IdentityInit } from "./identity/load-identity.js";
export { loadIdentity, releaseIdentity } from "./identity/load-identity.js";
export {
  fromPkcs11,
  isPkcs11Uri,
  parsePkcs11Uri,
  PIN_ENVIRONMENT_VARIABLE,
  type Pkcs11CliOptions,
  type Pkcs11Config,
  Pkcs11Error,
  type Pkcs11ErrorKind,
  type Pkcs11KeySource,
  type Pkcs11ObjectType,
  type Pkcs11Signer,
  type Pkcs11Uri,
  pkcs11IdentityFromCli,
} from "./identity/sources/pkcs11/index.js";
export { DEFAULT_TPM_DEVICE, TPM_DEVICE_VARIABLE, TpmError, type TpmErrorKind, type TpmOptions } from "./identity/sources/tpm/index.js";
export type { MaterialInput } from "./identity/material.js";
export { KeyObjectSigner, type Signer, type SigningAlgorithm } from "./identity/signer.js";
export type { Logger, LogFields } from "./core/logger.js";
export type {
  CertificateExpiringEvent,
  CertificateInfo,
  CredentialEvent,
  CredentialEventType,
  CredentialObserver,
  RefreshFailedEvent,
  RefreshOutcome,
  RefreshStartedEvent,
  RefreshSucceededEvent,
  ServedWhileStaleEvent,
} from "./core/events.js";
export { DEFAULT_EXPIRY_WARNING_DAYS, type ExpiringCertificate } from "./cache/expiry-reminder.js";
export type { RolesAnywhereInit, RolesAnywhereOptions } from "./mechanisms/roles-anywhere/options.js";
export type { RetryOptions } from "./transport/retry.js";
export { CredentialSession, type SessionOptions } from "./surfaces/sdk/credential-session.js";
export { fromRolesAnywhere, RolesAnywhereSession, type RolesAnywhereSessionInit } from "./surfaces/sdk/roles-anywhere.js";
export type { IotLogLevel, LogLevel, TraceLogger } from "./core/logger.js";
export type { IotInit, IotOptions } from "./mechanisms/iot/options.js";
export { fromIotCredentialProvider, IotCredentialSession, type IotSessionInit } from "./surfaces/sdk/iot.js";
export { type CertificateSessionInit, createCredentialSession, fromCertificate } from "./surfaces/sdk/any-mechanism.js";
export { VERSION } from "./core/version.js";

import * as errors from "./core/errors.js";
import { nameClasses } from "./core/errors.js";
import { KeyObjectSigner } from "./identity/signer.js";
import { Pkcs11Error } from "./identity/sources/pkcs11/index.js";
import { TpmError } from "./identity/sources/tpm/index.js";
import { CredentialSession } from "./surfaces/sdk/credential-session.js";
import { IotCredentialSession } from "./surfaces/sdk/iot.js";
import { RolesAnywhereSession } from "./surfaces/sdk/roles-anywhere.js";

// The published bundle minifies identifiers: every exported class gets its name back (see nameClasses).
nameClasses({ ...errors, KeyObjectSigner, Pkcs11Error, TpmError, CredentialSession, IotCredentialSession, RolesAnywhereSession });
