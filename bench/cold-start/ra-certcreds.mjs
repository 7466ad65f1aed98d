// Candidate: a program that imports certcreds and asks for its first Roles Anywhere credentials.
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { fromRolesAnywhere } = await import("certcreds");
const env = process.env;
const credentials = await fromRolesAnywhere({
  certificate: env.BENCH_CERT,
  privateKey: env.BENCH_KEY,
  trustAnchorArn: env.BENCH_TRUST_ANCHOR_ARN,
  profileArn: env.BENCH_PROFILE_ARN,
  roleArn: env.BENCH_ROLE_ARN,
  endpoint: env.BENCH_ENDPOINT,
  caBundle: env.BENCH_CA,
})();
if (!credentials.accessKeyId.startsWith("ASIA")) throw new Error("no credentials");
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(`${performance.now() - started} ${(cpu.user + cpu.system) / 1000}`);
