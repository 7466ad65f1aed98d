import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli, startCli } from "../../helpers/cli.js";
import { assertNoSecrets, pemBodyLines } from "../../helpers/log-capture.js";

describe("certcreds update", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 4 } });
  });
  after(() => f?.close());

  test("--once writes the profile into ~/.aws/credentials (0600, directory 0700)", async () => {
    const result = await runCli(["update", ...f.args, "--once", "--debug"], { env: f.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /profile \[default\] of .*credentials holds credentials valid until/);
    const file = join(f.home, ".aws", "credentials");
    const text = await readFile(file, "utf8");
    const id = /aws_access_key_id = (\S+)/.exec(text)?.[1];
    assert.ok(id && f.ra.issued.get(id));
    const issued = f.ra.issued.get(id)!;
    assertNoSecrets([result.stderr, result.stdout], [issued.secretAccessKey, issued.sessionToken, ...pemBodyLines(f.device.privateKeyPem)]);
    assert.equal(/aws_secret_access_key = (\S+)/.exec(text)?.[1], f.ra.issued.get(id)!.secretAccessKey);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(f.home, ".aws"))).mode & 0o777, 0o700);
  });

  test("AWS_SHARED_CREDENTIALS_FILE: every other byte survives", async () => {
    const file = join(f.dir, "shared-credentials");
    const others = "# managed by hand\r\n[prod]\r\naws_access_key_id = PRODKEY\r\naws_secret_access_key = PRODSECRET\r\n\r\n[device]\r\nregion = us-east-1\r\n";
    await writeFile(file, others, { mode: 0o644 });
    const result = await runCli(["update", ...f.args, "--once", "--profile", "device"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    assert.equal(result.code, 0, result.stderr);
    const text = await readFile(file, "utf8");
    const id = /aws_access_key_id = (ASIA\S+)/.exec(text)![1]!;
    const issued = f.ra.issued.get(id)!;
    assert.equal(
      text,
      `${others}aws_access_key_id = ${id}\r\naws_secret_access_key = ${issued.secretAccessKey}\r\naws_session_token = ${issued.sessionToken}\r\n`,
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test("keeps running: rewrites well before expiry, retries upstream failures, stops on SIGTERM", async () => {
    const file = join(f.dir, "running-credentials");
    const cli = startCli(["update", ...f.args, "--profile", "p"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    try {
      const idOf = async () => /aws_access_key_id = (\S+)/.exec(await readFile(file, "utf8").catch(() => ""))?.[1];
      await cli.waitForError(/valid until/);
      const first = await idOf();
      assert.ok(first);
      // Credentials live ~4 s: the next write comes at about half of that, before they expire.
      const rewritten = Date.now();
      while ((await idOf()) === first && Date.now() - rewritten < 5000) await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await idOf();
      assert.notEqual(second, first);
      assert.ok(f.ra.issued.get(second!)!.expiration.getTime() > Date.now(), "the file never holds expired credentials for long");

      f.ra.inject({ status: 500, errorType: "InternalServerException", message: "boom", times: 3 });
      await cli.waitForError(/refresh failed \(attempt 1\), retrying in \d+ s/, 8000);
      assert.equal(cli.child.exitCode, null, "a failure does not end update");
      const failedAt = Date.now();
      while ((await idOf()) === second && Date.now() - failedAt < 10_000) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.notEqual(await idOf(), second, "recovered after the upstream came back");
    } finally {
      const result = await cli.stop("SIGTERM");
      assert.equal(result.code, 0);
    }
  });

  test("throttled, it waits minutes, not seconds (a fleet of update daemons booted together must not retry in step)", async () => {
    const file = join(f.dir, "throttled-credentials");
    // Every attempt of the first fetch (its own quick retries included) is throttled.
    f.ra.inject({ status: 429, errorType: "ThrottlingException", message: "Rate exceeded", times: 3 });
    const cli = startCli(["update", ...f.args, "--profile", "t", "--log-format", "json"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    try {
      await cli.waitForError(/"event":"update-retry"/, 8000);
      const line = cli
        .stderr()
        .split("\n")
        .find((text) => text.includes('"event":"update-retry"'))!;
      const { delayMs, attempt } = JSON.parse(line) as { delayMs: number; attempt: number };
      assert.equal(attempt, 1);
      assert.ok(delayMs >= 60_000 && delayMs <= 180_000, `the first wait after throttling is 1–3 minutes (was 2.5–5 s): ${delayMs} ms`);
    } finally {
      f.ra.clearFaults();
      const result = await cli.stop("SIGTERM");
      assert.equal(result.code, 0);
    }
  });
});
