import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
// The library only through its public entry, as a user of the package sees it.
import { fromIotCredentialProvider, fromRolesAnywhere } from "../../src/index.js";
import { createTestCertificateAuthority, startIotCredentialEmulator, startRolesAnywhereEmulator, startStsEmulator } from "../index.js";

type Out = (line: string) => void;

/** Times the first call of a provider and prints what it returned (never the secrets). */
async function firstCredentials(out: Out, step: string, via: string, credentials: AwsCredentialIdentityProvider): Promise<void> {
  const started = performance.now();
  const identity = await credentials();
  const elapsed = performance.now() - started;
  const lifetime = Math.round((identity.expiration!.getTime() - Date.now()) / 1000);
  out(`${step} Credentials via ${via} in ${elapsed.toFixed(1)} ms: ${identity.accessKeyId}, expire ${identity.expiration!.toISOString()} (in ${lifetime} s)`);
}

/** STS GetCallerIdentity with a real SDK v3 client: the proof that the credentials work. */
async function showCaller(out: Out, step: string, stsUrl: string, credentials: AwsCredentialIdentityProvider): Promise<void> {
  const client = new STSClient({ region: "us-east-1", endpoint: stsUrl, credentials });
  try {
    const caller = await client.send(new GetCallerIdentityCommand({}));
    out(`${step} STS GetCallerIdentity with those credentials (real AWS SDK v3 client):`);
    out(`     Account ${caller.Account}`);
    out(`     Arn     ${caller.Arn}`);
    out(`     UserId  ${caller.UserId}`);
  } finally {
    client.destroy();
  }
}

/**
 * The whole flow on a fresh machine, for both mechanisms: a throwaway PKI,
 * the local emulators, credentials through `fromRolesAnywhere` and
 * `fromIotCredentialProvider`, and a real SDK v3 call with each.
 */
export async function runDemo(_argv: string[]): Promise<number> {
  // The demo's own SDK client would otherwise print a multi-line notice about future Node versions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const out: Out = (line) => process.stdout.write(`${line}\n`);
  out("certcreds demo — everything runs on 127.0.0.1, no AWS account needed\n");

  out("IAM Roles Anywhere");
  const rootCa = await createTestCertificateAuthority({ commonName: "certcreds demo root CA" });
  const intermediate = await rootCa.createIntermediate({ commonName: "certcreds demo issuing CA" });
  const device = await intermediate.issue({ commonName: "demo-device-001", keyType: "ec-p256" });
  out(`1. PKI       root CA → intermediate → device certificate (EC P-256, serial ${BigInt(device.serialNumber).toString(10)})`);

  const ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [rootCa.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/demo-device-role"], durationSeconds: 3600 }],
  });
  const sts = await startStsEmulator({ issued: ra.issued });
  try {
    out(`2. Emulators IAM Roles Anywhere at ${ra.url}, STS at ${sts.url}`);
    const rolesAnywhere = fromRolesAnywhere({
      certificate: device.certificatePem,
      certificateChain: intermediate.certificatePem,
      privateKey: device.privateKeyPem!,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ra.roleArn,
      endpoint: ra.url,
    });
    await firstCredentials(out, "3.", "fromRolesAnywhere", rolesAnywhere);
    await showCaller(out, "4.", sts.url, rolesAnywhere);

    out("\nAWS IoT Core credential provider");
    const endpointCa = await createTestCertificateAuthority({ commonName: "certcreds demo IoT endpoint CA" });
    const endpointCertificate = await endpointCa.issue({
      commonName: "localhost",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      extendedKeyUsage: ["serverAuth"],
    });
    const thingCa = await createTestCertificateAuthority({ commonName: "certcreds demo thing CA", keyType: "rsa-2048" });
    const thing = await thingCa.issue({ commonName: "demo-thing-001", keyType: "rsa-2048", extendedKeyUsage: ["clientAuth"] });
    out("5. PKI       registered thing CA → thing certificate (RSA 2048); a separate CA for the endpoint's server certificate");

    const iot = await startIotCredentialEmulator({
      serverCertificate: { cert: endpointCertificate.certificatePem, key: endpointCertificate.privateKeyPem! },
      registeredCas: [thingCa.certificatePem],
      things: [{ name: "demo-thing-001", certificates: [thing.certificatePem] }],
      roleAliases: [{ alias: "demo-role-alias", roleArn: "arn:aws:iam::123456789012:role/demo-iot-role", credentialDurationSeconds: 3600 }],
      issued: ra.issued,
    });
    try {
      out(`6. Emulator  IoT credential provider at https://localhost:${iot.port} (mutual TLS), sharing the STS emulator`);
      const iotCredentials = fromIotCredentialProvider({
        endpoint: `localhost:${iot.port}`,
        roleAlias: "demo-role-alias",
        thingName: "demo-thing-001",
        certificate: thing.certificatePem,
        privateKey: thing.privateKeyPem!,
        ca: endpointCa.certificatePem,
      });
      await firstCredentials(out, "7.", "fromIotCredentialProvider", iotCredentials);
      await showCaller(out, "8.", sts.url, iotCredentials);
    } finally {
      await iot.close();
    }
    out(`\nDone: certificate in, working AWS credentials out — by either mechanism.`);
    return 0;
  } finally {
    await Promise.all([ra.close(), sts.close()]);
  }
}
