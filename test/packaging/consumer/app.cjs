// A CommonJS program using the installed package: require() of both entry points, an emulator started
// from require("certcreds/testing"), IoT credentials over mutual TLS, and one class for import and require.
"use strict";
const assert = require("node:assert/strict");
const certcreds = require("certcreds");
const { createTestCertificateAuthority, startIotCredentialEmulator } = require("certcreds/testing");

async function main() {
  const endpointCa = await createTestCertificateAuthority({ commonName: "cjs endpoint CA" });
  const endpoint = await endpointCa.issue({ commonName: "localhost", dnsNames: ["localhost"], extendedKeyUsage: ["serverAuth"] });
  const thingCa = await createTestCertificateAuthority({ commonName: "cjs thing CA" });
  const thing = await thingCa.issue({ commonName: "cjs-thing", extendedKeyUsage: ["clientAuth"] });
  const iot = await startIotCredentialEmulator({
    serverCertificate: { cert: endpoint.certificatePem, key: endpoint.privateKeyPem },
    registeredCas: [thingCa.certificatePem],
    things: [{ name: "cjs-thing", certificates: [thing.certificatePem] }],
    roleAliases: [{ alias: "cjs-alias", roleArn: "arn:aws:iam::123456789012:role/cjs", credentialDurationSeconds: 3600 }],
  });
  try {
    const session = new certcreds.IotCredentialSession({
      endpoint: `localhost:${iot.port}`,
      roleAlias: "cjs-alias",
      thingName: "cjs-thing",
      certificate: thing.certificatePem,
      privateKey: thing.privateKeyPem,
      ca: endpointCa.certificatePem,
    });
    const credentials = await session.getCredentials();
    await session.close();
    assert.match(credentials.accessKeyId, /^ASIA/);
    console.log(`cjs: IoT credentials ${credentials.accessKeyId}`);
  } finally {
    await iot.close();
  }
  const esm = await import("certcreds");
  assert.equal(esm.ConfigurationError, certcreds.ConfigurationError, "import and require give the same class");
  let thrown;
  try {
    certcreds.fromRolesAnywhere({ certificate: "c", privateKey: "k" });
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof esm.ConfigurationError && thrown instanceof certcreds.CertcredsError, "instanceof holds across import and require");
  console.log("cjs: one copy of each class for import and require");
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
