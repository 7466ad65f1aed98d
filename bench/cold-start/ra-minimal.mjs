// Baseline: the least a hand-written program does for one CreateSession (read the files, sign, one HTTPS request).
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { createHash, createPrivateKey, sign, X509Certificate } = await import("node:crypto");
const { readFileSync } = await import("node:fs");
const { request } = await import("node:https");
const env = process.env;
const key = createPrivateKey(readFileSync(env.BENCH_KEY));
const cert = new X509Certificate(readFileSync(env.BENCH_CERT));
const url = new URL(env.BENCH_ENDPOINT);
const body = JSON.stringify({
  durationSeconds: 3600,
  profileArn: env.BENCH_PROFILE_ARN,
  roleArn: env.BENCH_ROLE_ARN,
  trustAnchorArn: env.BENCH_TRUST_ANCHOR_ARN,
});
const date = new Date()
  .toISOString()
  .replace(/[-:]/g, "")
  .replace(/\.\d{3}/, "");
const x509 = cert.raw.toString("base64");
const hash = (s) => createHash("sha256").update(s).digest("hex");
const canonical = `POST\n/sessions\n\ncontent-type:application/json\nhost:${url.host}\nx-amz-date:${date}\nx-amz-x509:${x509}\n\ncontent-type;host;x-amz-date;x-amz-x509\n${hash(body)}`;
const scope = `${date.slice(0, 8)}/us-east-1/rolesanywhere/aws4_request`;
const signature = sign("sha256", Buffer.from(`AWS4-X509-ECDSA-SHA256\n${date}\n${scope}\n${hash(canonical)}`), key).toString("hex");
const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
const credentials = await new Promise((resolve, reject) => {
  const req = request(
    {
      host: url.hostname,
      port: url.port,
      path: "/sessions",
      method: "POST",
      ca: readFileSync(env.BENCH_CA),
      agent: false,
      headers: {
        "Content-Type": "application/json",
        "X-Amz-Date": date,
        "X-Amz-X509": x509,
        Authorization: `AWS4-X509-ECDSA-SHA256 Credential=${serial}/${scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=${signature}`,
      },
    },
    (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        res.statusCode === 201 ? resolve(JSON.parse(Buffer.concat(chunks)).credentialSet[0].credentials) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    },
  );
  req.on("error", reject);
  req.end(body);
});
if (!credentials.accessKeyId.startsWith("ASIA")) throw new Error("no credentials");
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(`${performance.now() - started} ${(cpu.user + cpu.system) / 1000}`);
