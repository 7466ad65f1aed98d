// A fresh process as a user's: imports the package (Node's entry), reports how it was loaded, gets credentials.
import { createRequire } from "node:module";

const env = process.env;
const certcreds = await import("certcreds");
const status = globalThis[Symbol.for("certcreds.codeCacheStatus")];
// require("certcreds") in the same process: the same classes, not a second copy.
const sameFromRequire = createRequire(import.meta.url)("certcreds").CertcredsError === certcreds.CertcredsError;
let configurationError;
try {
  certcreds.fromRolesAnywhere({
    certificate: env.CHILD_CERT,
    privateKey: env.CHILD_KEY,
    trustAnchorArn: "arn:nope",
    profileArn: env.CHILD_PROFILE_ARN,
    roleArn: env.CHILD_ROLE_ARN,
  });
} catch (error) {
  configurationError = { instance: error instanceof certcreds.ConfigurationError && error instanceof certcreds.CertcredsError, name: error.name };
}
const credentials = await certcreds.fromRolesAnywhere({
  certificate: env.CHILD_CERT,
  privateKey: env.CHILD_KEY,
  trustAnchorArn: env.CHILD_TRUST_ANCHOR_ARN,
  profileArn: env.CHILD_PROFILE_ARN,
  roleArn: env.CHILD_ROLE_ARN,
  endpoint: env.CHILD_ENDPOINT,
  caBundle: env.CHILD_CA,
})();
process.stdout.write(JSON.stringify({ status, sameFromRequire, configurationError, credentials: credentials.accessKeyId.startsWith("ASIA") }));
