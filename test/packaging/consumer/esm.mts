// Type-checks an ES module consumer (module node16/nodenext: .mts; bundler: as is).
import { ConfigurationError, createCredentialSession, fromRolesAnywhere, type RolesAnywhereSessionInit, type TemporaryCredentials } from "certcreds";
import { createTestCertificateAuthority, startRolesAnywhereEmulator } from "certcreds/testing";

const ca = await createTestCertificateAuthority({ commonName: "types" });
const device = await ca.issue({ commonName: "device", keyType: "ec-p256" });
const ra = await startRolesAnywhereEmulator({
  trustAnchors: [{ certificates: [ca.certificatePem] }],
  profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/r"] }],
});
const init: RolesAnywhereSessionInit = {
  certificate: device.certificatePem,
  privateKey: device.privateKeyPem ?? "",
  trustAnchorArn: ra.trustAnchorArn,
  profileArn: ra.profileArn,
  roleArn: ra.roleArn,
  endpoint: ra.url,
  refresh: { jitter: false },
};
const credentials: TemporaryCredentials = await createCredentialSession(init).getCredentials();
const provider = fromRolesAnywhere(init);
const expiration: Date | undefined = (await provider()).expiration;
export const checked: [string, Date | undefined, boolean] = [credentials.accessKeyId, expiration, new ConfigurationError("roleArn", "m") instanceof Error];
await ra.close();
