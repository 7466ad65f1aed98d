/**
 * `certcreds/testing`: everything needed to test code that turns a
 * certificate into AWS credentials without an AWS account — a throwaway PKI
 * and local emulators of IAM Roles Anywhere and STS that verify requests the
 * way the real services do.
 *
 * Nothing here touches the network beyond loopback, and no key material is
 * ever written to disk.
 *
 * @packageDocumentation
 * @module certcreds/testing
 */

export type { RecordedRequest } from "./emulators/emulator-server.js";
export {
  type IssueCredentialsRequest,
  type IssuedCredentials,
  IssuedCredentialStore,
} from "./emulators/issued-credentials.js";
export { createTestCertificateAuthority } from "./pki/certificate-authority.js";
export { generateTestKeyPair } from "./pki/key-pairs.js";
export {
  createMlDsaTestKey,
  expandMlDsaSeed,
  type MlDsaKeyType,
  type MlDsaPrivateKeyForm,
  type MlDsaTestKey,
  mlDsaPrivateKeyDer,
  mlDsaPrivateKeyPem,
} from "./pki/ml-dsa.js";
export type {
  CertificateAuthorityOptions,
  ExtendedKeyUsage,
  IssueOptions,
  TestCertificate,
  TestCertificateAuthority,
  TestKeyType,
} from "./pki/types.js";
export { startRolesAnywhereEmulator } from "./emulators/roles-anywhere/emulator.js";
export type {
  RolesAnywhereEmulator,
  RolesAnywhereEmulatorOptions,
  RolesAnywhereFault,
  RolesAnywhereProfileConfig,
  RolesAnywhereTrustAnchorConfig,
} from "./emulators/roles-anywhere/options.js";
export { type StsEmulator, type StsEmulatorOptions, startStsEmulator } from "./emulators/sts/emulator.js";
export { IOT_ERROR_MESSAGES } from "./emulators/iot/authorize.js";
export { startIotCredentialEmulator } from "./emulators/iot/emulator.js";
export type {
  IotCredentialEmulator,
  IotCredentialEmulatorOptions,
  IotFault,
  IotHandshakeCounts,
  IotRecordedRequest,
  IotRoleAliasConfig,
  IotThingConfig,
} from "./emulators/iot/options.js";
