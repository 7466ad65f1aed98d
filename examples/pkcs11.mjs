// A key on a PKCS#11 token (HSM, smart card, YubiKey, TPM) for both mechanisms.
// Needs: npm install pkcs11js (Roles Anywhere) and aws-crt (AWS IoT); a token labelled "device" holding
// "device-key" (its certificate issued by the trust anchor's CA) and "thing-key" (a certificate AWS IoT knows),
// both with their certificates on the token; the PIN in CERTCREDS_PKCS11_PIN, the module in CERTCREDS_PKCS11_LIB.
//
// Run: . ~/certcreds-try/env && CERTCREDS_PKCS11_PIN=… node examples/pkcs11.mjs
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIotCredentialProvider, fromRolesAnywhere } from "certcreds";

const env = process.env;
const library = env.CERTCREDS_PKCS11_LIB ?? "/usr/lib/softhsm/libsofthsm2.so";

const providers = {
  "Roles Anywhere, SigV4-X509 signed on the token": fromRolesAnywhere({
    // no certificate given: the token's certificate of the key is used
    pkcs11: { library, tokenLabel: "device", privateKeyLabel: "device-key" },
    certificateChain: env.CERTCREDS_RA_INTERMEDIATES,
    trustAnchorArn: env.CERTCREDS_RA_TRUST_ANCHOR_ARN,
    profileArn: env.CERTCREDS_RA_PROFILE_ARN,
    roleArn: env.CERTCREDS_RA_ROLE_ARN,
    ...(env.CERTCREDS_RA_ENDPOINT ? { endpoint: env.CERTCREDS_RA_ENDPOINT } : {}),
  }),
  "AWS IoT, TLS handshake signed on the token": fromIotCredentialProvider({
    // an RFC 7512 URI works wherever a certificate or key is given
    certificate: `pkcs11:token=device;object=thing-key;type=cert?module-path=${library}`,
    endpoint: env.CERTCREDS_IOT_ENDPOINT,
    roleAlias: env.CERTCREDS_IOT_ROLE_ALIAS,
    thingName: env.CERTCREDS_IOT_THING_NAME,
    ...(env.CERTCREDS_IOT_CA_CERT ? { ca: env.CERTCREDS_IOT_CA_CERT } : {}),
  }),
};

for (const [what, credentials] of Object.entries(providers)) {
  const sts = new STSClient({ region: env.AWS_REGION ?? "us-east-1", credentials });
  console.log(`${what}: ${(await sts.send(new GetCallerIdentityCommand({}))).Arn}`);
  sts.destroy();
}
