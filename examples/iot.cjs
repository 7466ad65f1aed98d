// The AWS IoT credential provider as an AWS SDK v3 credential provider, from CommonJS.
//
// Run against the emulators:  certcreds emulate --dir ~/certcreds-try   (in another terminal)
//                             . ~/certcreds-try/env && node examples/iot.cjs
// With AWS: CERTCREDS_IOT_ENDPOINT is `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`,
// and CERTCREDS_IOT_CA_CERT is not needed (Node.js trusts Amazon Root CA 1).
const { GetCallerIdentityCommand, STSClient } = require("@aws-sdk/client-sts");
const { fromIotCredentialProvider, ServiceError } = require("certcreds");

async function main() {
  const env = process.env;
  const credentials = fromIotCredentialProvider({
    endpoint: env.CERTCREDS_IOT_ENDPOINT,
    roleAlias: env.CERTCREDS_IOT_ROLE_ALIAS,
    thingName: env.CERTCREDS_IOT_THING_NAME,
    certificate: env.CERTCREDS_IOT_CERTIFICATE,
    privateKey: env.CERTCREDS_IOT_PRIVATE_KEY,
    ...(env.CERTCREDS_IOT_CA_CERT ? { ca: env.CERTCREDS_IOT_CA_CERT } : {}),
  });
  const sts = new STSClient({ region: env.AWS_REGION || "us-east-1", credentials });
  try {
    const caller = await sts.send(new GetCallerIdentityCommand({}));
    console.log(`AWS IoT: ${caller.Arn}`);
  } catch (error) {
    // The service's own status and message, and what to change.
    if (error instanceof ServiceError) console.error(`HTTP ${error.status}: ${error.serviceMessage}`);
    throw error;
  } finally {
    sts.destroy();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
