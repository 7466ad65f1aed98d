// A fresh process as an IoT device's: imports the package (Node's entry), gets IoT credentials, reports how it was loaded.
const init = JSON.parse(process.env.CHILD_IOT_INIT);
const { fromIotCredentialProvider } = await import("certcreds");
const status = globalThis[Symbol.for("certcreds.codeCacheStatus")];
const credentials = await fromIotCredentialProvider(init)();
process.stdout.write(JSON.stringify({ status, credentials: credentials.accessKeyId.startsWith("ASIA") }));
