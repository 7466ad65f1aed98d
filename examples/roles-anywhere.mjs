// IAM Roles Anywhere as an AWS SDK v3 credential provider, from an ES module.
//
// Run against the emulators:  certcreds emulate --dir ~/certcreds-try   (in another terminal)
//                             . ~/certcreds-try/env && node examples/roles-anywhere.mjs
// With AWS: set the CERTCREDS_RA_* variables to your own files and ARNs, and leave CERTCREDS_RA_ENDPOINT unset.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromRolesAnywhere } from "certcreds";

const env = process.env;
const credentials = fromRolesAnywhere({
  certificate: env.CERTCREDS_RA_CERTIFICATE,
  privateKey: env.CERTCREDS_RA_PRIVATE_KEY,
  certificateChain: env.CERTCREDS_RA_INTERMEDIATES,
  trustAnchorArn: env.CERTCREDS_RA_TRUST_ANCHOR_ARN,
  profileArn: env.CERTCREDS_RA_PROFILE_ARN,
  roleArn: env.CERTCREDS_RA_ROLE_ARN,
  ...(env.CERTCREDS_RA_ENDPOINT ? { endpoint: env.CERTCREDS_RA_ENDPOINT } : {}),
});

// One provider for every client: one cache, refreshed in the background before expiry.
const sts = new STSClient({ region: env.AWS_REGION ?? "us-east-1", credentials });
const caller = await sts.send(new GetCallerIdentityCommand({}));
console.log(`Roles Anywhere: ${caller.Arn}`);
sts.destroy();
