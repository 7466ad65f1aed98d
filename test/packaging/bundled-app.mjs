// An application a bundler packs with certcreds inside (test/packaging/bundler.test.ts): no node_modules beside it.
import { fromRolesAnywhere } from "certcreds";

const env = process.env;
const credentials = await fromRolesAnywhere({
  certificate: env.CHILD_CERT,
  privateKey: env.CHILD_KEY,
  trustAnchorArn: env.CHILD_TRUST_ANCHOR_ARN,
  profileArn: env.CHILD_PROFILE_ARN,
  roleArn: env.CHILD_ROLE_ARN,
  endpoint: env.CHILD_ENDPOINT,
  caBundle: env.CHILD_CA,
})();
process.stdout.write(
  JSON.stringify({ credentials: credentials.accessKeyId.startsWith("ASIA"), codeCache: globalThis[Symbol.for("certcreds.codeCacheStatus")] ?? null }),
);
