// Candidate: a program that imports certcreds and asks for its first IoT credentials.
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { fromIotCredentialProvider } = await import("certcreds");
const env = process.env;
const credentials = await fromIotCredentialProvider({
  endpoint: env.BENCH_ENDPOINT,
  roleAlias: env.BENCH_ROLE_ALIAS,
  thingName: env.BENCH_THING_NAME,
  certificate: env.BENCH_CERT,
  privateKey: env.BENCH_KEY,
  ca: env.BENCH_CA,
})();
if (!credentials.accessKeyId.startsWith("ASIA")) throw new Error("no credentials");
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(`${performance.now() - started} ${(cpu.user + cpu.system) / 1000}`);
