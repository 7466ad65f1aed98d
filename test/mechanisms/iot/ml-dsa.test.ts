/**
 * AWS IoT accepts RSA and EC client certificates only: an ML-DSA
 * certificate (or one signed with ML-DSA) is a typed error at the first
 * fetch, before any TLS handshake — on any Node.js, so the user hears about
 * IoT rather than about upgrading Node.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { IotCredentialSession, UnsupportedKeyError, UnsupportedRuntimeError } from "../../../src/index.js";
import { runtimeSignsMlDsa } from "../../../src/identity/ml-dsa.js";
import { createMlDsaTestKey, createTestCertificateAuthority, type IotCredentialEmulator } from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, type ServerPki, startEmulatorFor, THING } from "../../helpers/iot-fixture.js";

let server: ServerPki;
let device: DevicePki;
let iot: IotCredentialEmulator;

before(async () => {
  [server, device] = await Promise.all([createServerPki(), createDevicePki("ec-p256")]);
  iot = await startEmulatorFor(server, device);
});
after(() => iot?.close());

async function refused(certificate: string, privateKey: string, pattern: RegExp): Promise<void> {
  const handshakes = iot.handshakes.total;
  const session = new IotCredentialSession(initFor(iot, server, device, { certificate, privateKey }));
  try {
    await assert.rejects(session.getCredentials(), (e: unknown) => {
      assert.ok(e instanceof UnsupportedKeyError && !(e instanceof UnsupportedRuntimeError), String(e));
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  } finally {
    await session.close();
  }
  assert.equal(iot.handshakes.total, handshakes, "no TLS handshake was attempted");
}

test("an ML-DSA thing certificate is refused at the first fetch, naming AWS IoT and Roles Anywhere", async () => {
  const key = createMlDsaTestKey("ml-dsa-65");
  const thing = await device.ca.issue({ spki: key.spki, commonName: THING, extendedKeyUsage: ["clientAuth"] });
  await refused(
    thing.certificatePem,
    key.privateKeyPem("seed"),
    /has an ML-DSA-65 key: AWS IoT accepts RSA and EC client certificates only \(signed with RSA or ECDSA\)\. Use an RSA or EC certificate with the IoT credential provider, or this one with IAM Roles Anywhere\.$/,
  );
});

test("an EC thing certificate signed by an ML-DSA CA is refused too", {
  skip: !runtimeSignsMlDsa() && `needs Node.js 24.6 or later to issue (this is ${process.version})`,
}, async () => {
  const ca = await createTestCertificateAuthority({ keyType: "ml-dsa-44" });
  const thing = await ca.issue({ commonName: THING, extendedKeyUsage: ["clientAuth"] });
  await refused(thing.certificatePem, thing.privateKeyPem!, /is signed with ML-DSA-44: AWS IoT accepts RSA and EC client certificates only/);
});
