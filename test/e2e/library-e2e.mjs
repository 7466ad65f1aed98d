// The library end to end, as a user's program runs it: both mechanisms against the emulators, through the
// package's own entry points ("certcreds", "certcreds/testing"), plain JavaScript so that every runtime
// runs it as is: Node, Bun, Deno (`deno run -A`). It exits 0 with a line per step, or 1 naming the step.
// With CERTCREDS_E2E_SDK=1 the credentials also sign a real AWS SDK v3 call (STS GetCallerIdentity).
import assert from "node:assert/strict";
import { ConfigurationError, createCredentialSession, fromIotCredentialProvider, fromRolesAnywhere, ServiceError } from "certcreds";
import { createTestCertificateAuthority, startIotCredentialEmulator, startRolesAnywhereEmulator, startStsEmulator } from "certcreds/testing";

const runtime = globalThis.Deno ? `Deno ${globalThis.Deno.version.deno}` : globalThis.Bun ? `Bun ${globalThis.Bun.version}` : `Node ${process.version}`;
const steps = [];
async function step(name, run) {
  try {
    const detail = await run();
    steps.push(name);
    console.log(`ok ${steps.length} - ${name}${detail ? ` (${detail})` : ""}`);
  } catch (error) {
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
    process.exitCode = 1;
    throw error;
  }
}

function checkCredentials(identity) {
  assert.match(identity.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(identity.secretAccessKey.length >= 40 && identity.sessionToken.length > 0);
  assert.ok(identity.expiration.getTime() > Date.now() + 10 * 60_000, "expires in more than 10 minutes");
  return identity.accessKeyId;
}

async function callerOf(stsUrl, credentials) {
  const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
  const client = new STSClient({ region: "us-east-1", endpoint: stsUrl, credentials });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    client.destroy();
  }
}

const useSdk = process.env.CERTCREDS_E2E_SDK === "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
console.log(`# certcreds end to end on ${runtime}`);

const root = await createTestCertificateAuthority({ commonName: "e2e root CA" });
const issuing = await root.createIntermediate({ commonName: "e2e issuing CA" });
const ra = await startRolesAnywhereEmulator({
  trustAnchors: [{ certificates: [root.certificatePem] }],
  profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/e2e-device"], durationSeconds: 3600 }],
});
const sts = await startStsEmulator({ issued: ra.issued });
const endpointCa = await createTestCertificateAuthority({ commonName: "e2e IoT endpoint CA" });
const endpoint = await endpointCa.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
const thingCa = await createTestCertificateAuthority({ commonName: "e2e thing CA" });
const things = {};
for (const keyType of ["rsa-2048", "ec-p256"]) {
  things[keyType] = await thingCa.issue({ commonName: `e2e-thing-${keyType}`, keyType, extendedKeyUsage: ["clientAuth"] });
}
const iot = await startIotCredentialEmulator({
  serverCertificate: { cert: endpoint.certificatePem, key: endpoint.privateKeyPem },
  registeredCas: [thingCa.certificatePem],
  things: Object.entries(things).map(([keyType, thing]) => ({ name: `e2e-thing-${keyType}`, certificates: [thing.certificatePem] })),
  roleAliases: [{ alias: "e2e-alias", roleArn: "arn:aws:iam::123456789012:role/e2e-iot", credentialDurationSeconds: 3600 }],
  issued: ra.issued,
});

try {
  for (const keyType of ["ec-p256", "rsa-2048"]) {
    const device = await issuing.issue({ commonName: `e2e-device-${keyType}`, keyType });
    const init = {
      certificate: device.certificatePem,
      certificateChain: issuing.certificatePem,
      privateKey: device.privateKeyPem,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ra.roleArn,
      endpoint: ra.url,
    };
    await step(`IAM Roles Anywhere, ${keyType} key, fromRolesAnywhere`, async () => checkCredentials(await fromRolesAnywhere(init)()));
    if (useSdk) {
      await step(`IAM Roles Anywhere, ${keyType}: STS GetCallerIdentity through the AWS SDK v3`, async () => {
        const arn = await callerOf(sts.url, fromRolesAnywhere(init));
        assert.match(arn, /^arn:aws:sts::123456789012:assumed-role\/e2e-device\//);
        return arn;
      });
    }
  }

  for (const keyType of ["rsa-2048", "ec-p256"]) {
    const thingName = `e2e-thing-${keyType}`;
    const thing = things[keyType];
    const init = {
      endpoint: `localhost:${iot.port}`,
      roleAlias: "e2e-alias",
      thingName,
      certificate: thing.certificatePem,
      privateKey: thing.privateKeyPem,
      ca: endpointCa.certificatePem,
    };
    await step(`AWS IoT credential provider, ${keyType} thing certificate, mutual TLS`, async () => {
      const session = createCredentialSession(init);
      try {
        return checkCredentials(await session.getCredentials());
      } finally {
        await session.close();
      }
    });
    if (useSdk) {
      await step(`AWS IoT, ${keyType}: STS GetCallerIdentity through the AWS SDK v3`, async () => {
        const arn = await callerOf(sts.url, fromIotCredentialProvider(init));
        assert.match(arn, /^arn:aws:sts::123456789012:assumed-role\/e2e-iot\//);
        return arn;
      });
    }
  }

  await step("a refused certificate is a ServiceError naming the fix", async () => {
    const stranger = await (await createTestCertificateAuthority({ commonName: "not trusted" })).issue({ commonName: "stranger" });
    const credentials = fromRolesAnywhere({
      certificate: stranger.certificatePem,
      privateKey: stranger.privateKeyPem,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ra.roleArn,
      endpoint: ra.url,
      retry: { maxAttempts: 1 },
    });
    await assert.rejects(credentials(), (error) => error instanceof ServiceError && error.message.length < 600);
  });

  await step("a misspelled option is a ConfigurationError at construction, naming the nearest option", () => {
    assert.throws(
      () => fromRolesAnywhere({ certificate: "c", privateKey: "k", trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArm: ra.roleArn }),
      (error) => error instanceof ConfigurationError && /roleArn/.test(error.message),
    );
  });
} finally {
  await Promise.all([ra.close(), sts.close(), iot.close()]);
}
console.log(`# ${steps.length} steps passed on ${runtime}`);
