// Baseline: the least a hand-written program does for IoT credentials (read the files, one mutual-TLS request).
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { readFileSync } = await import("node:fs");
const { request } = await import("node:https");
const env = process.env;
const url = new URL(`https://${env.BENCH_ENDPOINT}`);
const credentials = await new Promise((resolve, reject) => {
  const req = request(
    {
      host: url.hostname,
      port: url.port,
      path: `/role-aliases/${env.BENCH_ROLE_ALIAS}/credentials`,
      cert: readFileSync(env.BENCH_CERT),
      key: readFileSync(env.BENCH_KEY),
      ca: readFileSync(env.BENCH_CA),
      agent: false,
      headers: { "x-amzn-iot-thingname": env.BENCH_THING_NAME },
    },
    (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks)).credentials) : reject(new Error(`HTTP ${res.statusCode}`))));
    },
  );
  req.on("error", reject);
  req.end();
});
if (!credentials.accessKeyId.startsWith("ASIA")) throw new Error("no credentials");
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(`${performance.now() - started} ${(cpu.user + cpu.system) / 1000}`);
