// A fresh process as a user's: imports the package (Node's entry), reports how it was loaded, gets credentials.
import { createRequire } from "node:module";

const init = JSON.parse(process.env.CHILD_INIT);
const certcreds = await import("certcreds");
const status = globalThis[Symbol.for("certcreds.codeCacheStatus")];
// require("certcreds") in the same process: the same classes, not a second copy.
const sameFromRequire = createRequire(import.meta.url)("certcreds").CertcredsError === certcreds.CertcredsError;
let configurationError;
try {
  certcreds.fromRolesAnywhere({ ...init, trustAnchorArn: "arn:nope" });
} catch (error) {
  configurationError = { instance: error instanceof certcreds.ConfigurationError && error instanceof certcreds.CertcredsError, name: error.name };
}
// An error of the fetch code (loaded at the first fetch in the ES modules): the same class as exported.
let fetchError;
try {
  await certcreds.fromRolesAnywhere({ ...init, certificate: `${init.certificate}.missing` })();
} catch (error) {
  fetchError = { instance: error instanceof certcreds.InputReadError, name: error.name };
}
const credentials = await certcreds.fromRolesAnywhere(init)();
process.stdout.write(JSON.stringify({ status, sameFromRequire, configurationError, fetchError, credentials: credentials.accessKeyId.startsWith("ASIA") }));
