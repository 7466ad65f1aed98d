import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import {
  type CertificateSessionInit,
  ConfigurationError,
  createCredentialSession,
  fromCertificate,
  IotCredentialSession,
  RolesAnywhereSession,
} from "../../../src/index.js";
import {
  type IotCredentialEmulator,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
} from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../helpers/iot-fixture.js";

let server: ServerPki;
let rsa: DevicePki;
let ec: DevicePki;
const issued = new IssuedCredentialStore();
let iot: IotCredentialEmulator;
let sts: StsEmulator;

before(async () => {
  [server, rsa, ec] = await Promise.all([createServerPki(), createDevicePki("rsa-2048"), createDevicePki("ec-p256")]);
  iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [rsa.ca.certificatePem, ec.ca.certificatePem],
    things: [{ name: THING, certificates: [rsa.thing.certificatePem, ec.thing.certificatePem] }],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN, credentialDurationSeconds: 3600 }],
    issued,
  });
  sts = await startStsEmulator({ issued });
});

after(async () => {
  await Promise.all([iot?.close(), sts?.close()]);
});

const sha256 = (der: Buffer) => createHash("sha256").update(der).digest("hex");

/** GetCallerIdentity through a real SDK v3 client with the given provider. */
async function callerArn(credentials: AwsCredentialIdentityProvider): Promise<string | undefined> {
  const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    client.destroy();
  }
}

describe("one interface for both mechanisms", () => {
  let ra: RolesAnywhereEmulator;
  const RA_ROLE = "arn:aws:iam::123456789012:role/roles-anywhere-device";
  before(async () => {
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ec.ca.certificatePem] }], profiles: [{ roleArns: [RA_ROLE] }], issued });
  });
  after(() => ra?.close());

  /** The code around the session: the same for either init. */
  async function whoAmI(init: CertificateSessionInit): Promise<{ arn: string | undefined; kind: string }> {
    const session = createCredentialSession(init);
    try {
      const client = new STSClient({ ...session.clientConfig({ region: "us-east-1" }), endpoint: sts.url });
      const caller = await client.send(new GetCallerIdentityCommand({}));
      client.destroy();
      return { arn: caller.Arn, kind: session.constructor.name };
    } finally {
      await session.close();
    }
  }

  test("switching from Roles Anywhere to IoT changes the init object only", async () => {
    const identity = { certificate: ec.thing.certificatePem, privateKey: ec.thing.privateKeyPem };
    const viaRolesAnywhere = await whoAmI({ ...identity, trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: RA_ROLE, endpoint: ra.url });
    const viaIot = await whoAmI({ ...identity, endpoint: iot.url, roleAlias: ROLE_ALIAS, thingName: THING, ca: server.ca.certificatePem });
    assert.equal(viaRolesAnywhere.kind, RolesAnywhereSession.name);
    assert.match(viaRolesAnywhere.arn ?? "", /^arn:aws:sts::123456789012:assumed-role\/roles-anywhere-device\//);
    assert.equal(viaIot.kind, IotCredentialSession.name);
    assert.equal(viaIot.arn, `arn:aws:sts::123456789012:assumed-role/iot-device-role/${sha256(ec.thing.certificateDer)}`);
  });

  test("fromCertificate returns the provider of either mechanism", async () => {
    const provider = fromCertificate({ ...initFor(iot, server, rsa) });
    const before = iot.credentialsIssued;
    assert.match((await callerArn(provider)) ?? "", /assumed-role\/iot-device-role\//);
    assert.equal(iot.credentialsIssued, before + 1);
  });

  test("an init with both mechanisms, or neither, is refused with the fix", () => {
    const identity = { certificate: ec.thing.certificatePem, privateKey: ec.thing.privateKeyPem };
    assert.throws(
      () =>
        createCredentialSession({
          ...identity,
          trustAnchorArn: ra.trustAnchorArn,
          profileArn: ra.profileArn,
          roleArn: RA_ROLE,
          roleAlias: ROLE_ALIAS,
          thingName: THING,
          endpoint: iot.url,
        } as CertificateSessionInit),
      (error: unknown) => error instanceof ConfigurationError && /both trustAnchorArn .* and roleAlias .*pass the options of one mechanism/.test(error.message),
    );
    assert.throws(
      () => createCredentialSession(identity as unknown as CertificateSessionInit),
      (error: unknown) =>
        error instanceof ConfigurationError && /trustAnchorArn, profileArn and roleArn .* endpoint, roleAlias and thingName/.test(error.message),
    );
  });
});
