import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromRolesAnywhere } from "../surfaces/roles-anywhere.js";
import { createTestCertificateAuthority, startRolesAnywhereEmulator, startStsEmulator } from "../testing/index.js";

/**
 * The whole flow on a fresh machine: a throwaway PKI, the local emulators,
 * credentials through `fromRolesAnywhere`, and a real SDK v3 call with them.
 */
export async function runDemo(_argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out("certcreds demo — everything runs on 127.0.0.1, no AWS account needed\n");

  const rootCa = await createTestCertificateAuthority({ commonName: "certcreds demo root CA" });
  const intermediate = await rootCa.createIntermediate({ commonName: "certcreds demo issuing CA" });
  const device = await intermediate.issue({ commonName: "demo-device-001", keyType: "ec-p256" });
  out(`1. PKI       root CA → intermediate → device certificate (EC P-256, serial ${BigInt(device.serialNumber).toString(10)})`);

  const ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [rootCa.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/demo-device-role"], durationSeconds: 3600 }],
  });
  const sts = await startStsEmulator({ issued: ra.issued });
  out(`2. Emulators IAM Roles Anywhere at ${ra.url}, STS at ${sts.url}`);

  try {
    const credentials = fromRolesAnywhere({
      certificate: device.certificatePem,
      certificateChain: intermediate.certificatePem,
      privateKey: device.privateKeyPem!,
      trustAnchorArn: ra.trustAnchorArn,
      profileArn: ra.profileArn,
      roleArn: ra.roleArn,
      endpoint: ra.url,
    });
    const started = performance.now();
    const identity = await credentials();
    const elapsed = performance.now() - started;
    const lifetime = Math.round((identity.expiration!.getTime() - Date.now()) / 1000);
    out(`3. Credentials via fromRolesAnywhere in ${elapsed.toFixed(1)} ms: ${identity.accessKeyId}, expire ${identity.expiration!.toISOString()} (in ${lifetime} s)`);

    const client = new STSClient({ region: ra.region, endpoint: sts.url, credentials });
    const caller = await client.send(new GetCallerIdentityCommand({}));
    client.destroy();
    out(`4. STS GetCallerIdentity with those credentials (real AWS SDK v3 client):`);
    out(`     Account ${caller.Account}`);
    out(`     Arn     ${caller.Arn}`);
    out(`     UserId  ${caller.UserId}`);
    out(`\nDone: certificate in, working AWS credentials out.`);
    return 0;
  } finally {
    await Promise.all([ra.close(), sts.close()]);
  }
}
