// Sessions in TypeScript: one init per mechanism, the same code around both.
//
// Run against the emulators:  certcreds emulate --dir ~/certcreds-try   (in another terminal)
//                             . ~/certcreds-try/env && npx tsx examples/sessions.ts
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { type CertificateSessionInit, type CredentialSession, createCredentialSession } from "certcreds";

/** A variable of `~/certcreds-try/env`, or a clear failure. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run ". ~/certcreds-try/env" (certcreds emulate), or set it to your own value`);
  return value;
}
const optional = (name: string, option: string) => (process.env[name] ? { [option]: process.env[name] } : {});

const rolesAnywhere: CertificateSessionInit = {
  certificate: required("CERTCREDS_RA_CERTIFICATE"),
  privateKey: required("CERTCREDS_RA_PRIVATE_KEY"),
  certificateChain: required("CERTCREDS_RA_INTERMEDIATES"),
  trustAnchorArn: required("CERTCREDS_RA_TRUST_ANCHOR_ARN"),
  profileArn: required("CERTCREDS_RA_PROFILE_ARN"),
  roleArn: required("CERTCREDS_RA_ROLE_ARN"),
  ...optional("CERTCREDS_RA_ENDPOINT", "endpoint"),
};
const iot: CertificateSessionInit = {
  endpoint: required("CERTCREDS_IOT_ENDPOINT"),
  roleAlias: required("CERTCREDS_IOT_ROLE_ALIAS"),
  thingName: required("CERTCREDS_IOT_THING_NAME"),
  certificate: required("CERTCREDS_IOT_CERTIFICATE"),
  privateKey: required("CERTCREDS_IOT_PRIVATE_KEY"),
  ...optional("CERTCREDS_IOT_CA_CERT", "ca"),
};

async function whoAmI(session: CredentialSession): Promise<string> {
  const sts = new STSClient(session.clientConfig({ region: process.env.AWS_REGION ?? "us-east-1" }));
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? "(no ARN)";
  } finally {
    sts.destroy();
  }
}

for (const init of [rolesAnywhere, iot]) {
  const session = createCredentialSession(init); // RolesAnywhereSession or IotCredentialSession
  try {
    const credentials = await session.getCredentials();
    console.log(`${session.constructor.name}: ${await whoAmI(session)} (until ${credentials.expiration.toISOString()})`);
    console.log(`  printed, a session shows no secret: ${JSON.stringify(session)}`);
  } finally {
    await session.close();
  }
}
