import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  createIotFixture,
  createRolesAnywhereFixture,
  http,
  type IotFixture,
  type RolesAnywhereFixture,
  requireBuild,
  runCli,
  type Served,
  startServe,
} from "../../helpers/cli.js";
import { assertNoSecrets, pemBodyLines } from "../../helpers/log-capture.js";

const CREDENTIALS = "/latest/meta-data/iam/security-credentials/";

describe("serve: IMDSv2 and the container credentials endpoint", () => {
  let f: RolesAnywhereFixture;
  let served: Served;
  let token: string;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    served = await startServe([...f.args, "--debug"], { env: f.env });
    token = await readFile(served.tokenFile, "utf8");
  });
  after(async () => {
    await served?.cli.stop();
    await f?.close();
  });

  test("prints the three export lines, binds 127.0.0.1, writes a 0600 token file", async () => {
    assert.match(served.imdsEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(served.containerUri, `${served.imdsEndpoint}/credentials`);
    assert.equal((await stat(served.tokenFile)).mode & 0o777, 0o600);
    assert.match(token, /^[\w-]{43}$/, "a random token without a line break (SDKs send the file as is)");
  });

  test("IMDSv2: token, role name, credentials", async () => {
    const put = await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" } });
    assert.equal(put.status, 200);
    assert.equal(put.headers["x-aws-ec2-metadata-token-ttl-seconds"], "21600");
    const headers = { "x-aws-ec2-metadata-token": put.body };
    const role = await http(`${served.imdsEndpoint}${CREDENTIALS}`, { headers });
    assert.equal(role.status, 200);
    assert.equal(role.body, "cli-role");
    const answer = await http(`${served.imdsEndpoint}${CREDENTIALS}cli-role`, { headers });
    assert.equal(answer.status, 200);
    const json = JSON.parse(answer.body);
    assert.deepEqual(Object.keys(json), ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]);
    assert.equal(json.Code, "Success");
    assert.equal(json.Type, "AWS-HMAC");
    const issued = f.ra.issued.get(json.AccessKeyId);
    assert.ok(issued);
    assert.equal(json.SecretAccessKey, issued.secretAccessKey);
    assert.equal(json.Token, issued.sessionToken);
    assert.match(json.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(json.LastUpdated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test("IMDSv2 rules: TTL 1–21600, token required, X-Forwarded-For refused", async () => {
    const token = (ttl?: string, extra: Record<string, string> = {}) =>
      http(`${served.imdsEndpoint}/latest/api/token`, {
        method: "PUT",
        headers: { ...(ttl !== undefined ? { "x-aws-ec2-metadata-token-ttl-seconds": ttl } : {}), ...extra },
      });
    assert.equal((await token(undefined)).status, 400);
    assert.equal((await token("0")).status, 400);
    assert.equal((await token("21601")).status, 400);
    assert.equal((await token("abc")).status, 400);
    assert.equal((await token("1")).status, 200);
    assert.equal((await token("21600", { "X-Forwarded-For": "203.0.113.9" })).status, 403);
    assert.equal((await http(`${served.imdsEndpoint}/latest/api/token`)).status, 405);
    assert.equal((await http(`${served.imdsEndpoint}${CREDENTIALS}`)).status, 401, "IMDSv1 (no token) is refused");
    assert.equal((await http(`${served.imdsEndpoint}${CREDENTIALS}cli-role`, { headers: { "x-aws-ec2-metadata-token": "1.forged" } })).status, 401);
    const expiring = (await token("1")).body;
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal(
      (await http(`${served.imdsEndpoint}${CREDENTIALS}`, { headers: { "x-aws-ec2-metadata-token": expiring } })).status,
      401,
      "an expired token is refused",
    );
    const valid = (await token("60")).body;
    assert.equal((await http(`${served.imdsEndpoint}${CREDENTIALS}other-role`, { headers: { "x-aws-ec2-metadata-token": valid } })).status, 404);
  });

  test("container endpoint: Authorization checked, AWS's JSON shape", async () => {
    assert.equal((await http(served.containerUri)).status, 401);
    assert.equal((await http(served.containerUri, { headers: { Authorization: `${token}x` } })).status, 401);
    assert.equal((await http(served.containerUri, { headers: { Authorization: "" } })).status, 401);
    const answer = await http(served.containerUri, { headers: { Authorization: token } });
    assert.equal(answer.status, 200);
    const json = JSON.parse(answer.body);
    assert.deepEqual(Object.keys(json), ["AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"]);
    assert.equal(json.AccountId, "123456789012");
    assert.equal(f.ra.issued.get(json.AccessKeyId)?.sessionToken, json.Token);
    assert.equal(answer.headers["content-type"], "application/json");
    assert.equal(answer.headers["cache-control"], "no-store");
    for (const name of Object.keys(answer.headers)) assert.ok(!name.startsWith("access-control-"), `no CORS header (${name})`);
  });

  test("one upstream call serves every client", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => http(served.containerUri, { headers: { Authorization: token } })));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(new Set(answers.map((a) => JSON.parse(a.body).AccessKeyId)).size, 1);
    assert.equal(f.ra.createSessionCount, 1);
  });

  test("/healthz says whether credentials are held and reveals no secret", async () => {
    const health = await http(`${served.imdsEndpoint}/healthz`);
    assert.equal(health.status, 200);
    const json = JSON.parse(health.body);
    assert.deepEqual(Object.keys(json).sort(), ["expiration", "status", "warnings"]);
    assert.equal(json.status, "ok");
  });

  test("limits: loopback Host only, no request body, small headers, unknown paths 404", async () => {
    const port = new URL(served.imdsEndpoint).port;
    assert.equal((await http(`${served.imdsEndpoint}/healthz`, { headers: { Host: `attacker.example:${port}` } })).status, 403, "DNS rebinding refused");
    assert.equal((await http(`${served.imdsEndpoint}/healthz`, { headers: { Host: `localhost:${port}` } })).status, 200);
    const withBody = await http(served.containerUri, { method: "GET", headers: { Authorization: token, "Content-Length": "5" }, body: "hello" });
    assert.equal(withBody.status, 413);
    const huge = await http(`${served.imdsEndpoint}/healthz`, { headers: { "X-Padding": "a".repeat(16 * 1024) } }).catch((error: Error) => error);
    assert.ok(huge instanceof Error || huge.status === 431, "oversized headers are refused");
    assert.equal((await http(`${served.imdsEndpoint}/latest/user-data`)).status, 404);
  });

  test("a slow client cannot hold a connection forever", async () => {
    const port = Number(new URL(served.imdsEndpoint).port);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString();
      });
      socket.on("close", () => resolve(answer.startsWith("HTTP/1.1 408")));
      socket.on("error", () => {});
      setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 9000);
    });
    assert.ok(closed, "headers never completed: the server answered 408 and closed the connection");
  });

  test("--debug output holds no secret", async () => {
    const answer = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body);
    assertNoSecrets([served.cli.stderr(), served.cli.stdout()], [answer.SecretAccessKey, answer.Token, token, ...pemBodyLines(f.device.privateKeyPem)]);
  });
});

describe("serve: lifecycle and options", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 4 } });
  });
  after(() => f?.close());

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} closes the server, deletes the token file and exits 0`, async () => {
      const served = await startServe(f.args, { env: f.env });
      assert.ok(existsSync(served.tokenFile));
      const result = await served.cli.stop(signal);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!existsSync(served.tokenFile));
      await assert.rejects(http(`${served.imdsEndpoint}/healthz`));
    });
  }

  test("refreshes in the background before expiry, one call for many clients at the refresh moment", async () => {
    const served = await startServe(f.args, { env: f.env });
    try {
      const token = await readFile(served.tokenFile, "utf8");
      const first = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body);
      const before = f.ra.createSessionCount;
      // No client asks; the session refreshes on its own before the 4 s lifetime ends.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(f.ra.createSessionCount - before >= 1, "a background refresh");
      const second = JSON.parse((await http(served.containerUri, { headers: { Authorization: token } })).body);
      assert.notEqual(second.AccessKeyId, first.AccessKeyId);
      // A slow upstream: 200 clients arrive while the next refresh is in flight.
      const arrived = f.ra.requests.length;
      f.ra.inject({ delayMs: 1500 });
      while (f.ra.requests.length === arrived) await new Promise((resolve) => setTimeout(resolve, 10));
      const answers = await Promise.all(Array.from({ length: 200 }, () => http(served.containerUri, { headers: { Authorization: token } })));
      assert.equal(f.ra.requests.length - arrived, 1, "single flight: one upstream call for 200 clients");
      assert.ok(answers.every((a) => a.status === 200));
      for (const a of answers) assert.ok(Date.parse(JSON.parse(a.body).Expiration) > Date.now(), "only valid credentials are served");
    } finally {
      await served.cli.stop();
    }
  });

  test("--listen other than loopback warns; bad --port/--hop-limit are usage errors", async () => {
    const served = await startServe([...f.args, "--listen", "0.0.0.0"], { env: f.env });
    try {
      await served.cli.waitForError(/any host that can reach this address/);
      const port = new URL(served.imdsEndpoint).port;
      assert.equal((await http(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      await served.cli.stop();
    }
    const badHop = await runCli(["serve", ...f.args, "--hop-limit", "0"], { env: f.env });
    assert.equal(badHop.code, 2);
    assert.match(badHop.stderr, /hop-limit 0 is out of range/);
    const badPort = await runCli(["serve", ...f.args, "--port", "70000"], { env: f.env });
    assert.equal(badPort.code, 2);
    const badConfig = await runCli(["serve", ...f.args, "--private-key", "/nonexistent.key", "--port", "0"], { env: f.env });
    assert.equal(badConfig.code, 3, "a broken configuration stops serve at start");
    assert.match(badConfig.stderr, /nonexistent\.key does not exist/);
  });
});

describe("serve: AWS IoT", () => {
  let f: RolesAnywhereFixture;
  let fx: IotFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    fx = await createIotFixture(f.dir);
  });
  after(async () => {
    await fx?.close();
    await f?.close();
  });

  test("IMDS lists the role alias; both endpoints serve IoT credentials", async () => {
    const served = await startServe(fx.args, { env: f.env });
    try {
      const imdsToken = (await http(`${served.imdsEndpoint}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } }))
        .body;
      const headers = { "x-aws-ec2-metadata-token": imdsToken };
      assert.equal((await http(`${served.imdsEndpoint}${CREDENTIALS}`, { headers })).body, fx.roleAlias);
      const imds = JSON.parse((await http(`${served.imdsEndpoint}${CREDENTIALS}${fx.roleAlias}`, { headers })).body);
      const container = JSON.parse((await http(served.containerUri, { headers: { Authorization: await readFile(served.tokenFile, "utf8") } })).body);
      assert.equal(imds.AccessKeyId, container.AccessKeyId);
      assert.equal(fx.iot.issued.get(container.AccessKeyId)?.sessionToken, container.Token);
      assert.equal(fx.iot.credentialsIssued, 1);
    } finally {
      await served.cli.stop();
    }
  });
});
