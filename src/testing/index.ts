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
 */

export type { RecordedRequest } from './emulator-server.js';
export {
  type IssueCredentialsRequest,
  type IssuedCredentials,
  IssuedCredentialStore,
} from './issued-credentials.js';
export {
  type CertificateAuthorityOptions,
  createTestCertificateAuthority,
  generateTestKeyPair,
  type IssueOptions,
  type TestCertificate,
  type TestCertificateAuthority,
  type TestKeyType,
} from './pki.js';
export {
  type RolesAnywhereEmulator,
  type RolesAnywhereEmulatorOptions,
  type RolesAnywhereFault,
  type RolesAnywhereProfileConfig,
  type RolesAnywhereTrustAnchorConfig,
  startRolesAnywhereEmulator,
} from './roles-anywhere-emulator.js';
export { type StsEmulator, type StsEmulatorOptions, startStsEmulator } from './sts-emulator.js';
export * from './iot-emulator.js';
