/**
 * Secret hygiene of serve: IMDSv2 and the container endpoint answer
 * credentials only to an authorised client; every answer, and serve's own
 * output, searched for every secret (test/helpers/secret-scan.ts). Also the
 * token file's mode and life, and what test/cli/commands/serve.test.ts does
 * not check: loopback only, tokens compared in constant time, request
 * limits, no CORS, X-Forwarded-For refused, /healthz reveals nothing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { createRequire, syncBuiltinESMExports } from "node:module";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RolesAnywhereSession } from "../../src/index.js";
import { type CliResult, http, runCli, type Served, startServe } from "../helpers/cli.js";
import { describeInBothLogFormats, HygieneWorld, MECHANISM_NAMES, ROLE, WORLD_KEYS } from "../helpers/hygiene-world.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

const modeOf = (path: string) => statSync(path).mode & 0o777;

describeInBothLogFormats(
  () => w,
  () => {
    for (const name of MECHANISM_NAMES) {
      describe(`CLI, ${name}`, () => {
        test("serve: IMDSv2 and the container endpoint answer credentials only to an authorised client", async () => {
          const mechanism = w.mechanism(name);
          const where = `serve (${mechanism.name})`;
          const served = await startServe(w.withLogFormat([...mechanism.args(), "--debug"]), { env: { HOME: w.home } });
          let stopped: CliResult | undefined;
          try {
            const token = await readFile(served.tokenFile, "utf8");
            w.scan.vault.add("serve's container authorization token", token);
            const put = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300" } });
            const imdsToken = put.body;
            w.scan.vault.add("an IMDSv2 session token", imdsToken);
            w.scan.answer(`${where}: PUT token`, put, [imdsToken]);
            const listing = w.scan.answer(
              `${where}: GET role`,
              await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": imdsToken } }),
            );
            const imds = await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`, {
              headers: { "x-aws-ec2-metadata-token": imdsToken },
            });
            const imdsJson = JSON.parse(imds.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
            assert.equal(imdsJson.SecretAccessKey, w.issued.get(imdsJson.AccessKeyId)?.secretAccessKey);
            w.scan.answer(`${where}: GET IMDS credentials (authorised)`, imds, [imdsJson.SecretAccessKey, imdsJson.Token]);
            const container = await http(served.containerUri, { headers: { Authorization: token } });
            const containerJson = JSON.parse(container.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
            assert.equal(containerJson.Token, w.issued.get(containerJson.AccessKeyId)?.sessionToken);
            w.scan.answer(`${where}: GET container credentials (authorised)`, container, [containerJson.SecretAccessKey, containerJson.Token]);
            const refused = [
              await http(served.containerUri),
              await http(served.containerUri, { headers: { Authorization: `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}` } }),
              await http(served.containerUri, { headers: { Authorization: `Bearer ${token}` } }),
              await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`),
              await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/${listing.body}`, {
                headers: { "x-aws-ec2-metadata-token": `${imdsToken}x` },
              }),
              await http(`${served.imdsEndpoint}/latest/api/token`, {
                method: "PUT",
                headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300", "X-Forwarded-For": "10.1.2.3" },
              }),
            ];
            for (const [i, answer] of refused.entries()) {
              assert.ok(answer.status === 401 || answer.status === 403, `${where}: unauthorised request ${i} refused (${answer.status})`);
              w.scan.answer(`${where}: unauthorised request ${i}`, answer);
            }
            w.scan.answer(`${where}: /healthz`, await http(`${served.imdsEndpoint}/healthz`));
            const metrics = w.scan.answer(`${where}: /metrics`, await http(`${served.imdsEndpoint}/metrics`));
            assert.ok(!metrics.body.includes(imdsJson.AccessKeyId), `${where}: /metrics shows no access key id`);
            w.scan.answer(
              `${where}: OPTIONS /credentials`,
              await http(served.containerUri, { method: "OPTIONS", headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "GET" } }),
            );
          } finally {
            stopped = await served.cli.stop();
          }
          assert.equal(stopped.code, 0, stopped.stderr);
          assert.ok(!existsSync(served.tokenFile), "the token file is deleted at exit");
          w.scan.counts.cliRuns++;
          w.scan.corpus.add(`${where} — stdout`, stopped.stdout);
          w.recordStderr(where, stopped.stderr);
          w.scan.assertClean();
        });
      });
    }
  },
);
describe("files: modes, contents limited to what is needed, deleted by cache clear", () => {
  let filesHome: string;
  const env = () => ({ HOME: filesHome });
  before(async () => {
    // A cache directory someone left readable: certcreds tightens it.
    ({ home: filesHome } = await w.looseCacheHome("files-home"));
  });

  test("serve's token file: 0600 in a 0700 directory, only the token, deleted at exit; a killed server's is deleted by cache clear", async () => {
    const served = await startServe(w.raArgs(), { env: env() });
    const token = await readFile(served.tokenFile, "utf8");
    w.scan.vault.add("serve's container authorization token (files)", token);
    assert.equal(modeOf(served.tokenFile), 0o600);
    assert.equal(modeOf(join(served.tokenFile, "..")), 0o700);
    assert.match(token, /^[\w-]{43}$/, "the file holds the token and nothing else");
    // A server that dies without cleaning up leaves its token behind; a live one keeps its own.
    served.cli.child.kill("SIGKILL");
    await served.cli.exited;
    assert.ok(existsSync(served.tokenFile), "SIGKILL left the token file");
    const live = await startServe(w.raArgs(), { env: env() });
    try {
      const clear = await runCli(["cache", "clear", "--debug"], { env: env() });
      assert.equal(clear.code, 0, clear.stderr);
      w.scan.corpus.add("cache clear (with token files) — stdout", clear.stdout);
      w.scan.corpus.add("cache clear (with token files) — stderr", clear.stderr);
      assert.ok(!existsSync(served.tokenFile), "cache clear deleted the dead server's token file");
      assert.ok(existsSync(live.tokenFile), "cache clear kept the running server's token file");
      const answer = await http(live.containerUri, { headers: { Authorization: await readFile(live.tokenFile, "utf8") } });
      assert.equal(answer.status, 200, "the running server still serves");
    } finally {
      await live.cli.stop();
    }
    assert.ok(!existsSync(live.tokenFile), "the stopped server deleted its token file");
    w.scan.assertClean();
  });

  test("serve --token-file in a shared directory: the file is 0600, the directory is left as it was", async () => {
    const shared = join(w.dir, "shared");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const served = await startServe([...w.raArgs(), "--token-file", join(shared, "serve.token")], { env: env() });
    try {
      assert.equal(served.tokenFile, join(shared, "serve.token"));
      assert.equal(modeOf(served.tokenFile), 0o600);
      assert.equal(statSync(shared).mode & 0o7777, 0o1777, "a shared (sticky, world-writable) directory is not re-moded");
    } finally {
      await served.cli.stop();
    }
    assert.ok(!existsSync(join(shared, "serve.token")));
  });
});

describe("serve hygiene", () => {
  let served: Served;
  let token: string;
  let serveHome: string;
  before(async () => {
    serveHome = join(w.dir, "serve-home");
    await mkdir(serveHome, { mode: 0o700 });
    served = await startServe([...w.raArgs(), "--debug"], { env: { HOME: serveHome } });
    token = await readFile(served.tokenFile, "utf8");
    w.scan.vault.add("serve's container authorization token (hygiene)", token);
  });
  after(async () => {
    const stopped = await served?.cli.stop();
    if (stopped) {
      w.scan.corpus.add("serve (hygiene) — stderr", stopped.stderr);
      w.scan.assertClean();
    }
  });

  test("loopback by default: not reachable on this host's other addresses", async (t) => {
    assert.equal(new URL(served.imdsEndpoint).hostname, "127.0.0.1");
    const port = Number(new URL(served.imdsEndpoint).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === "IPv4")
      .map((address) => address!.address);
    if (external.length === 0) {
      t.skip("this host has no non-loopback IPv4 address to try");
      return;
    }
    for (const address of external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port, timeout: 2000 }, () => {
          socket.destroy();
          resolve("connected");
        });
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
        socket.on("timeout", () => {
          socket.destroy();
          resolve("timeout");
        });
      });
      assert.notEqual(outcome, "connected", `serve must not be reachable on ${address}`);
    }
  });

  test("tokens are compared in constant time: crypto.timingSafeEqual on equal-length digests, whatever the length given", async () => {
    const require = createRequire(import.meta.url);
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const original = crypto.timingSafeEqual;
    const calls: [number, number][] = [];
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([a.byteLength, b.byteLength]);
      return original(a, b);
    }) as typeof original;
    syncBuiltinESMExports();
    const { createCredentialServer } = await import("../../src/surfaces/local-endpoint/credential-server.js");
    const session = new RolesAnywhereSession({
      certificate: w.files["ra.pem"]!,
      certificateChain: w.files["chain.pem"]!,
      privateKey: w.files["ra.key"]!,
      trustAnchorArn: w.ra.trustAnchorArn,
      profileArn: w.ra.profileArn,
      roleArn: ROLE,
      endpoint: w.ra.url,
    });
    const secret = randomBytes(32).toString("base64url");
    w.scan.vault.add("an in-process server's token", secret);
    const server = createCredentialServer({ supplier: session, roleName: "r", authorizationToken: secret });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const wrong = Array.from({ length: 97 }, (_, length) => randomBytes(length).toString("base64url").slice(0, length));
      wrong.push(`${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, secret.slice(0, -1), `${secret}A`, secret.toUpperCase(), `${secret}${secret}`);
      calls.length = 0;
      for (const candidate of wrong) {
        const answer = await http(`${base}/credentials`, { headers: { Authorization: candidate } });
        assert.equal(answer.status, 401, `a wrong token of ${candidate.length} characters is refused`);
      }
      assert.ok(
        calls.length >= wrong.filter(Boolean).length,
        `every non-empty wrong token went through timingSafeEqual (${calls.length} calls for ${wrong.length} tokens)`,
      );
      assert.ok(
        calls.every(([a, b]) => a === b && a === 32),
        "timingSafeEqual always compares two SHA-256 digests, so the length given changes nothing",
      );
      const right = await http(`${base}/credentials`, { headers: { Authorization: secret } });
      assert.equal(right.status, 200);
      // IMDSv2 tokens: the MAC is compared the same way.
      calls.length = 0;
      const imdsToken = (await http(`${base}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } })).body;
      const [expiry, mac] = imdsToken.split(".");
      for (const forged of [`${expiry}.`, `${expiry}.${mac!.slice(1)}`, `${expiry}.${mac}x`, `${expiry}.${"A".repeat(mac!.length)}`]) {
        assert.equal((await http(`${base}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": forged } })).status, 401);
      }
      assert.equal(calls.length, 4);
      assert.ok(calls.every(([a, b]) => a === b));
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
      server.close();
      server.closeAllConnections();
      await session.close();
    }
  });

  test("the real server refuses wrong container tokens of every length, and forged IMDSv2 tokens", async () => {
    const candidates = new Set<string>();
    for (let length = 0; length <= 100; length++) candidates.add(randomBytes(length).toString("base64url").slice(0, length));
    for (let i = 0; i < token.length; i += 7) candidates.add(`${token.slice(0, i)}${token[i] === "A" ? "B" : "A"}${token.slice(i + 1)}`);
    for (const variant of [
      token.slice(0, -1),
      `${token}=`,
      token.toUpperCase(),
      token.toLowerCase(),
      `Bearer ${token}`,
      `${token},${token}`,
      token.split("").reverse().join(""),
    ]) {
      candidates.add(variant);
    }
    candidates.delete(token);
    const answers = await Promise.all([...candidates].map((candidate) => http(served.containerUri, { headers: { Authorization: candidate } })));
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.status, 401, `wrong token ${i} is refused`);
      w.scan.answer(`serve hygiene: wrong token ${i}`, answer);
    }
    const put = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    w.scan.vault.add("an IMDSv2 session token (hygiene)", put.body);
    const [expiry, mac] = put.body.split(".");
    const forged = [
      `${Number(expiry) + 3600}.${mac}`,
      `${expiry}.${mac!.slice(0, -1)}`,
      `${expiry}.${"A".repeat(mac!.length)}`,
      mac!,
      `${expiry}`,
      `.${mac}`,
      "x".repeat(129),
    ];
    for (const value of forged) {
      const answer = await http(`${served.imdsEndpoint}/latest/meta-data/iam/security-credentials/`, { headers: { "x-aws-ec2-metadata-token": value } });
      assert.equal(answer.status, 401, "a forged IMDSv2 token is refused");
    }
    w.scan.assertClean();
  });

  test("request size and header limits: bodies refused (Content-Length or chunked, any method), headers over 8 KiB refused", async () => {
    const chunked = await http(served.containerUri, { method: "GET", headers: { Authorization: token, "Transfer-Encoding": "chunked" }, body: "hello" });
    assert.equal(chunked.status, 413);
    const tokenWithBody = await http(`${served.imdsEndpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60", "Content-Length": "2" },
      body: "{}",
    });
    assert.equal(tokenWithBody.status, 413, "a token request with a body is refused, so no token is handed out");
    assert.ok(!/^\d+\./.test(tokenWithBody.body));
    const justUnder = await http(`${served.imdsEndpoint}/healthz`, { headers: { "X-Padding": "a".repeat(6 * 1024) } });
    assert.equal(justUnder.status, 200);
    for (const request of [
      { path: "/healthz", headers: { "X-Padding": "a".repeat(9 * 1024) } },
      { path: `/healthz?${"q".repeat(9 * 1024)}`, headers: {} },
      { path: "/credentials", headers: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`X-H${i}`, "v".repeat(30)])) },
    ]) {
      const answer = await http(`${served.imdsEndpoint}${request.path}`, { headers: { Authorization: token, ...request.headers } }).catch(
        (error: Error) => error,
      );
      assert.ok(answer instanceof Error || answer.status === 431, `oversized request refused (${answer instanceof Error ? answer.message : answer.status})`);
      if (!(answer instanceof Error)) w.scan.answer("serve hygiene: oversized request", answer);
    }
  });

  test("no CORS headers on any answer, OPTIONS preflights included", async () => {
    const paths = [
      "/credentials",
      "/latest/api/token",
      "/latest/meta-data/iam/security-credentials/",
      "/latest/meta-data/iam/security-credentials/hygiene-role",
      "/healthz",
      "/",
    ];
    const preflight = {
      Origin: "http://evil.example",
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "authorization, x-aws-ec2-metadata-token",
    };
    for (const path of paths) {
      for (const method of ["OPTIONS", "GET", "PUT", "POST", "DELETE", "HEAD"]) {
        const answer = await http(`${served.imdsEndpoint}${path}`, {
          method,
          headers: { ...preflight, Authorization: token, "x-aws-ec2-metadata-token-ttl-seconds": "60" },
        });
        // The authorised answers hold what they exist to hand out: credentials, an IMDSv2 token.
        const allowed: (string | undefined)[] = [token];
        if (answer.status === 200 && path === "/credentials" && method === "GET") {
          const body = JSON.parse(answer.body) as { SecretAccessKey: string; Token: string };
          allowed.push(body.SecretAccessKey, body.Token);
        }
        if (answer.status === 200 && path === "/latest/api/token") {
          w.scan.vault.add("an IMDSv2 session token (hygiene)", answer.body);
          allowed.push(answer.body);
        }
        w.scan.answer(`serve hygiene: ${method} ${path} from another origin`, answer, allowed);
        if (method === "OPTIONS") assert.ok(answer.status >= 400, `a preflight of ${path} is not approved (${answer.status})`);
      }
    }
    w.scan.assertClean();
  });

  test("X-Forwarded-For is refused on token requests, whatever its spelling or value", async () => {
    for (const header of ["X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR"]) {
      for (const value of ["203.0.113.9", "127.0.0.1", "", "10.0.0.1, 127.0.0.1"]) {
        const answer = await http(`${served.imdsEndpoint}/latest/api/token`, {
          method: "PUT",
          headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60", [header]: value },
        });
        assert.equal(answer.status, 403, `${header}: "${value}" refused`);
        assert.ok(!/^\d+\./.test(answer.body), "no token in the refusal");
      }
    }
  });

  test("/healthz and /metrics reveal no secret, whether credentials are held or not", async () => {
    const container = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body) as { AccessKeyId: string };
    const healthy = w.scan.answer("serve hygiene: /healthz", await http(`${served.imdsEndpoint}/healthz`));
    assert.equal(healthy.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(healthy.body)).sort(), ["expiration", "status", "warnings"]);
    assert.ok(!healthy.body.includes(container.AccessKeyId), "not even the access key id");
    const metrics = w.scan.answer("serve hygiene: /metrics", await http(`${served.imdsEndpoint}/metrics`));
    assert.equal(metrics.status, 200);
    assert.ok(!metrics.body.includes(container.AccessKeyId), "/metrics: not even the access key id");
    assert.equal(healthy.headers["set-cookie"], undefined);
    // A server that could not get credentials yet.
    w.ra.inject({ status: 500, errorType: "InternalServerException", times: 3 });
    const failing = await startServe([...w.raArgs(), "--debug"], { env: { HOME: serveHome } });
    try {
      const unhealthy = w.scan.answer("serve hygiene: /healthz without credentials", await http(`${failing.imdsEndpoint}/healthz`));
      assert.equal(unhealthy.status, 503);
      const json = JSON.parse(unhealthy.body);
      assert.equal(json.status, "no valid credentials");
      assert.deepEqual(Object.keys(json).sort(), ["status", "warnings"]);
      w.scan.answer("serve hygiene: /metrics without credentials", await http(`${failing.imdsEndpoint}/metrics`));
    } finally {
      w.ra.clearFaults();
      const stopped = await failing.cli.stop();
      w.scan.corpus.add("serve without credentials — stderr", stopped.stderr);
    }
    w.scan.assertClean();
  });
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 120, secrets: 50, keys: WORLD_KEYS },
);
