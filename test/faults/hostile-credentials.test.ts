/**
 * A hostile (or simply wrong) endpoint that answers "success" with
 * credentials no AWS service would send: every surface refuses them with a
 * typed "malformed answer" error, nothing reaches the credentials file, and
 * implausible lifetimes never turn refresh timers into loops.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ResponseFormatError, RolesAnywhereSession } from "../../src/index.js";
import { createRolesAnywhereFixture, http, type RolesAnywhereFixture, requireBuild, runCli, startServe } from "../helpers/cli.js";

/** A CreateSession look-alike that answers 201 with whatever `credentials` holds, without checking anything. */
class HostileEndpoint {
  calls = 0;
  credentials: Record<string, unknown> = {};
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.calls++;
      req.resume();
      req.on("end", () => {
        const body = JSON.stringify({
          credentialSet: [{ credentials: this.credentials, assumedRoleUser: { arn: "arn:aws:sts::123456789012:assumed-role/r/s" } }],
        });
        res.writeHead(201, { "Content-Type": "application/json", Date: new Date().toUTCString() });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

const valid = () => ({
  accessKeyId: "ASIAHOSTILE000000001",
  secretAccessKey: "s".repeat(40),
  sessionToken: "t".repeat(200),
  expiration: new Date(Date.now() + 3600_000).toISOString(),
});

const INJECTED = `ASIAHOSTILE000000001\n[prod]\ncredential_process = sh -c "touch /tmp/certcreds-pwned"`;

let f: RolesAnywhereFixture;
const hostile = new HostileEndpoint();
let args: string[];

before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  await hostile.start();
  const endpoint = f.args.indexOf("--endpoint");
  args = [...f.args.slice(0, endpoint), "--endpoint", hostile.url, ...f.args.slice(endpoint + 2)];
});

after(async () => {
  await hostile.close();
  await f.close();
});

describe("credential fields from an endpoint are checked on every surface", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["an access key id that carries a credential_process line", { ...valid(), accessKeyId: INJECTED }, /malformed accessKeyId/],
    ["a secret with a line break", { ...valid(), secretAccessKey: "abc\ndef" }, /malformed secretAccessKey/],
    ["a session token with spaces", { ...valid(), sessionToken: "a b c" }, /malformed sessionToken/],
    ["a 100 kB session token", { ...valid(), sessionToken: "t".repeat(100_000) }, /malformed sessionToken/],
    ["an expiration in 2199", { ...valid(), expiration: "2199-01-01T00:00:00Z" }, /valid for \d+ hours from now, but AWS grants at most 12/],
  ];

  for (const [name, credentials, message] of cases) {
    test(`library: ${name} is a ResponseFormatError`, async () => {
      hostile.credentials = credentials;
      const session = new RolesAnywhereSession({ ...f.init, endpoint: hostile.url, retry: { maxAttempts: 1 } });
      try {
        await assert.rejects(session.getCredentials(), (error: unknown) => error instanceof ResponseFormatError && message.test(error.message));
      } finally {
        await session.close();
      }
    });
  }

  test("update: a command smuggled in an access key id never reaches ~/.aws/credentials", async () => {
    hostile.credentials = { ...valid(), accessKeyId: INJECTED };
    const file = join(f.dir, "credentials-hostile");
    await writeFile(file, "[other]\naws_access_key_id = AKIAOTHER\n", { mode: 0o600 });
    const result = await runCli(["update", "--once", ...args], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /malformed accessKeyId/);
    assert.equal(result.stderr.trim().split("\n").length, 1, `one line, not a warning and then the error: ${result.stderr}`);
    assert.equal(await readFile(file, "utf8"), "[other]\naws_access_key_id = AKIAOTHER\n", "the file is untouched");
  });

  test("credential-process: nothing on standard output, exit 1, one line naming the malformed field", async () => {
    hostile.credentials = { ...valid(), secretAccessKey: "abc\ndef" };
    const result = await runCli(["credential-process", "--no-cache", ...args], { env: f.env });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /malformed secretAccessKey/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });

  test("serve: an expiration in 2199 is refused, and the upstream is not called in a loop (was 1,906 calls in 5 s)", async () => {
    hostile.credentials = { ...valid(), expiration: "2199-01-01T00:00:00Z" };
    const served = await startServe(args, { env: f.env });
    try {
      const before = hostile.calls;
      const token = await readFile(served.tokenFile, "utf8");
      const answer = await http(served.containerUri, { headers: { Authorization: token } });
      assert.equal(answer.status, 503);
      assert.match(answer.body, /at most 12/);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const calls = hostile.calls - before;
      console.log(`hostile-credentials: serve made ${calls} upstream calls in 5 s against an expiration in 2199`);
      assert.ok(calls <= 8, `${calls} upstream calls in 5 s`);
    } finally {
      await served.cli.stop();
    }
  });
});
