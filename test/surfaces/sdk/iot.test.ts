import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ConfigurationError, IotCredentialSession } from "../../../src/index.js";
import { type IotCredentialEmulator, IssuedCredentialStore, type StsEmulator, startIotCredentialEmulator, startStsEmulator } from "../../../testing/index.js";
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

/** GetCallerIdentity through a real SDK v3 client with the given provider. */
async function callerArn(credentials: AwsCredentialIdentityProvider): Promise<string | undefined> {
  const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    client.destroy();
  }
}

describe("the session", () => {
  test("fetches nothing before first use, then serves every client from one cache", async () => {
    const before = iot.requests.length;
    const session = new IotCredentialSession({ ...initFor(iot, server, rsa), region: "eu-central-1" });
    try {
      assert.equal(iot.requests.length, before, "constructing fetches nothing (as Boto3SessionProvider defers)");
      const config = session.clientConfig();
      assert.equal(config.region, "eu-central-1");
      assert.equal(iot.requests.length, before, "clientConfig fetches nothing either");
      const first = await session.getCredentials();
      const viaSdk = await callerArn(session.provider);
      const again = await callerArn(session.clientConfig({ region: "us-east-1" }).credentials);
      assert.equal(viaSdk, again);
      assert.equal(iot.requests.length, before + 1, "one fetch for the session and both SDK clients");
      assert.equal(session.accessKeyId, first.accessKeyId);
      assert.equal(session.fetchCount, 1);
    } finally {
      await session.close();
    }
  });

  test("clientConfig needs a region when the endpoint names none (an emulator), and still fetches", async () => {
    const session = new IotCredentialSession(initFor(iot, server, ec));
    try {
      assert.equal(session.region, undefined);
      assert.throws(
        () => session.clientConfig(),
        (error: unknown) => error instanceof ConfigurationError && error.option === "region",
      );
      assert.ok((await session.getCredentials()).accessKeyId);
      assert.equal(session.clientConfig({ region: "ap-south-1" }).region, "ap-south-1");
    } finally {
      await session.close();
    }
  });
});
