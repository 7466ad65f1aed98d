import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createPrivateKey } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startTestConnectProxy } from "../../../testing/emulators/connect-proxy.js";
import { startRolesAnywhereEmulator } from "../../../testing/index.js";
import {
  type CliResult,
  createIotFixture,
  createRolesAnywhereFixture,
  type IotFixture,
  parseProcessOutput,
  type RolesAnywhereFixture,
  ROOT,
  requireBuild,
  runCli,
} from "../../helpers/cli.js";
import { assertNoSecrets, pemBodyLines } from "../../helpers/log-capture.js";

async function cacheFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => /^[0-9a-f]{64}\.json$/.test(name));
  } catch {
    return [];
  }
}

function ok(result: CliResult) {
  assert.equal(result.code, 0, `exit ${result.code}; stderr: ${result.stderr}`);
  return parseProcessOutput(result.stdout);
}

describe("credential-process (IAM Roles Anywhere)", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
  });
  after(() => f?.close());

  test("prints exactly the credential_process JSON, credentials that STS accepts", async () => {
    const result = await runCli(["credential-process", ...f.args, "--no-cache"], { env: f.env });
    const out = ok(result);
    assert.equal(result.stderr, "");
    const issued = f.ra.issued.get(out.AccessKeyId);
    assert.ok(issued, "the emulator issued these credentials");
    assert.equal(out.SecretAccessKey, issued.secretAccessKey);
    assert.equal(out.SessionToken, issued.sessionToken);
    assert.equal(Date.parse(out.Expiration), Math.floor(issued.expiration.getTime() / 1000) * 1000);
    assert.equal(out.AccountId, "123456789012");
    assert.deepEqual(Object.keys(out), ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]);
  });

  test("N sequential invocations make one upstream call; the cache is 0700/0600", async () => {
    const env = { ...f.env, XDG_CACHE_HOME: join(f.dir, "seq-cache") };
    const before = f.ra.createSessionCount;
    const outputs = [];
    for (let i = 0; i < 5; i++) outputs.push(ok(await runCli(["credential-process", ...f.args], { env })));
    assert.equal(f.ra.createSessionCount - before, 1);
    assert.equal(new Set(outputs.map((o) => o.AccessKeyId)).size, 1);
    const dir = join(f.dir, "seq-cache", "certcreds");
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const [file] = await cacheFiles(dir);
    assert.ok(file);
    assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600);
    // Beside the entries, only the code cache's directory (the CLI keeps Node's compile cache in it).
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name !== "code"),
      [file],
      "no lock or temporary file left behind",
    );
  });

  test("the CommonJS launcher (dist/cli/certcreds.cjs) answers warm calls itself and hands the rest to the full CLI", async () => {
    const launcher = join(ROOT, "dist", "cli", "certcreds.cjs");
    const env = { ...f.env, CERTCREDS_CACHE_DIR: join(f.dir, "launcher-cache") };
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [launcher, ...args], { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const before = f.ra.createSessionCount;
    const cold = await run(["credential-process", ...f.args, "--debug"]);
    assert.equal(cold.code, 0, cold.stderr);
    assert.match(cold.stderr, /credentials cached in/);
    const warm = await run(["credential-process", ...f.args, "--debug"]);
    assert.equal(warm.code, 0, warm.stderr);
    assert.match(warm.stderr, /cached credentials, valid until/);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(f.ra.createSessionCount - before, 1);
    const fromBin = await runCli(["credential-process", ...f.args], { env });
    assert.equal(fromBin.stdout, warm.stdout, "bin and launcher share the cache and the output");
    const usage = await run(["credential-process", "--bogus"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown option --bogus/);
  });

  test("20 concurrent invocations make one upstream call", async () => {
    const env = { ...f.env, CERTCREDS_CACHE_DIR: join(f.dir, "concurrent-cache") };
    f.ra.inject({ delayMs: 300 });
    const before = f.ra.createSessionCount;
    const results = await Promise.all(Array.from({ length: 20 }, () => runCli(["credential-process", ...f.args], { env })));
    const keys = new Set(results.map((r) => ok(r).AccessKeyId));
    assert.equal(f.ra.createSessionCount - before, 1);
    assert.equal(keys.size, 1);
  });

  test("a corrupt or loosely permitted cache file is ignored and replaced, never a crash", async () => {
    const cacheDir = join(f.dir, "corrupt-cache");
    const env = { ...f.env, CERTCREDS_CACHE_DIR: cacheDir };
    ok(await runCli(["credential-process", ...f.args], { env }));
    const [file] = await cacheFiles(cacheDir);
    const path = join(cacheDir, file!);
    for (const corruption of ["{not json", JSON.stringify({ v: 1, obtainedAt: Date.now(), credentials: { Version: 1 } }), ""]) {
      await writeFile(path, corruption);
      const before = f.ra.createSessionCount;
      const out = ok(await runCli(["credential-process", ...f.args], { env }));
      assert.equal(f.ra.createSessionCount - before, 1, `corruption ${JSON.stringify(corruption)} forces a new call`);
      const stored = JSON.parse(await readFile(path, "utf8"));
      assert.equal(stored.credentials.AccessKeyId, out.AccessKeyId, "the corrupt file was replaced");
    }
    await chmod(path, 0o644);
    const before = f.ra.createSessionCount;
    ok(await runCli(["credential-process", ...f.args], { env }));
    assert.equal(f.ra.createSessionCount - before, 1, "a group-readable file is not trusted");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  test("a stale lock — its owner died, or it is older than two minutes — is broken, not waited on forever", async () => {
    const cacheDir = join(f.dir, "stale-lock-cache");
    const env = { ...f.env, CERTCREDS_CACHE_DIR: cacheDir };
    ok(await runCli(["credential-process", ...f.args], { env }));
    const [file] = await cacheFiles(cacheDir);
    const path = join(cacheDir, file!);
    const deadPid = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    for (const owner of [
      { pid: Number(deadPid), host: hostname(), at: Date.now() },
      { pid: process.pid, host: hostname(), at: Date.now() - 10 * 60_000 },
    ]) {
      await writeFile(path, "{corrupt");
      await writeFile(`${path}.lock`, JSON.stringify(owner));
      const started = Date.now();
      ok(await runCli(["credential-process", ...f.args], { env }));
      assert.ok(Date.now() - started < 5000, "no long wait");
      assert.deepEqual((await readdir(cacheDir)).sort(), [file], "the stale lock is gone");
    }
  });

  test("a cache directory that cannot be used: a warning, and credentials anyway", async () => {
    const blocker = join(f.dir, "not-a-directory");
    await writeFile(blocker, "");
    const result = await runCli(["credential-process", ...f.args, "--cache-dir", join(blocker, "cache")], { env: f.env });
    ok(result);
    assert.match(result.stderr, /cache disabled/);
  });

  test("--no-cache calls every time and writes nothing", async () => {
    const cacheDir = join(f.dir, "no-cache");
    const before = f.ra.createSessionCount;
    for (let i = 0; i < 2; i++) ok(await runCli(["credential-process", ...f.args, "--no-cache", "--cache-dir", cacheDir], { env: f.env }));
    assert.equal(f.ra.createSessionCount - before, 2);
    assert.deepEqual(await cacheFiles(cacheDir), []);
  });

  test("cache clear deletes the cached credentials", async () => {
    const cacheDir = join(f.dir, "clear-cache");
    const env = { ...f.env, CERTCREDS_CACHE_DIR: cacheDir };
    ok(await runCli(["credential-process", ...f.args], { env }));
    assert.equal((await cacheFiles(cacheDir)).length, 1);
    const cleared = await runCli(["cache", "clear"], { env });
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /deleted 1 file/);
    assert.deepEqual(await cacheFiles(cacheDir), []);
    const before = f.ra.createSessionCount;
    ok(await runCli(["credential-process", ...f.args], { env }));
    assert.equal(f.ra.createSessionCount - before, 1);
  });

  test("a renewed certificate on disk gets a new cache entry", async () => {
    const dir = join(f.dir, "renew");
    const env = { ...f.env, CERTCREDS_CACHE_DIR: join(dir, "cache") };
    const certFile = join(f.dir, "renewed.pem");
    const keyFile = join(f.dir, "renewed.key");
    const write = async () => {
      const device = await f.issuing.issue({ commonName: "cli-device" });
      await writeFile(certFile, device.certificatePem);
      await writeFile(keyFile, device.privateKeyPem!, { mode: 0o600 });
    };
    const args = ["credential-process", ...f.args, "--certificate", certFile, "--private-key", keyFile];
    await write();
    const first = ok(await runCli(args, { env }));
    assert.equal(ok(await runCli(args, { env })).AccessKeyId, first.AccessKeyId);
    await write();
    const before = f.ra.createSessionCount;
    const renewed = ok(await runCli(args, { env }));
    assert.equal(f.ra.createSessionCount - before, 1);
    assert.notEqual(renewed.AccessKeyId, first.AccessKeyId);
  });

  test("the key from an environment variable or standard input: no key on disk", async () => {
    const args = f.args.filter((arg, i, all) => arg !== f.keyFile && all[i + 1] !== f.keyFile);
    const fromEnv = await runCli(["credential-process", ...args, "--private-key", "env:DEVICE_KEY", "--no-cache"], {
      env: { ...f.env, DEVICE_KEY: f.device.privateKeyPem },
    });
    ok(fromEnv);
    const fromStdin = await runCli(["credential-process", ...args, "--private-key", "-", "--no-cache"], { env: f.env, input: f.device.privateKeyPem });
    ok(fromStdin);
    const unset = await runCli(["credential-process", ...args, "--private-key", "env:NOT_SET", "--no-cache"], { env: f.env });
    assert.equal(unset.code, 3);
    assert.match(unset.stderr, /NOT_SET is not set/);
    assert.equal(unset.stdout, "");
  });

  test("an encrypted key with --pkcs8-password or CERTCREDS_PKCS8_PASSWORD; the password never printed", async () => {
    const password = "correct horse battery staple";
    const encrypted = createPrivateKey(f.device.privateKeyPem).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: password });
    const keyFile = join(f.dir, "encrypted.key");
    await writeFile(keyFile, encrypted, { mode: 0o600 });
    const args = ["credential-process", ...f.args, "--private-key", keyFile, "--no-cache", "--debug"];
    ok(await runCli([...args, "--pkcs8-password", password], { env: f.env }));
    const fromEnv = await runCli(args, { env: { ...f.env, CERTCREDS_PKCS8_PASSWORD: password } });
    ok(fromEnv);
    const missing = await runCli(args, { env: f.env });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /encrypted\.key is encrypted\. Pass its passphrase .*--pkcs8-password/);
    const wrong = await runCli([...args, "--pkcs8-password", "not it"], { env: f.env });
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /passphrase is wrong/);
    assertNoSecrets([fromEnv.stderr, missing.stderr, wrong.stderr], [password, "not it"]);
  });

  test("--with-proxy tunnels through HTTPS_PROXY; without it no proxy is used, as aws_signing_helper", async () => {
    const server = await f.root.issue({ commonName: "localhost", ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
    const https = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [f.root.certificatePem] }],
      profiles: [{ arn: f.ra.profileArn, roleArns: [f.ra.roleArn] }],
      tls: { cert: server.certificatePem, key: server.privateKeyPem! },
    });
    const caFile = join(f.dir, "https-ca.pem");
    await writeFile(caFile, f.root.certificatePem);
    const proxy = await startTestConnectProxy();
    try {
      const env = { ...f.env, HTTPS_PROXY: proxy.url };
      const args = ["credential-process", ...f.args, "--trust-anchor-arn", https.trustAnchorArn, "--endpoint", https.url, "--ca-cert", caFile, "--no-cache"];
      ok(await runCli(args, { env }));
      assert.equal(proxy.tunnels.length, 0);
      ok(await runCli([...args, "--with-proxy"], { env }));
      assert.deepEqual(proxy.tunnels, [new URL(https.url).host]);
      assert.equal(https.createSessionCount, 2);
    } finally {
      await Promise.all([proxy.close(), https.close()]);
    }
  });

  test("an expired cache entry makes a new call (short emulator lifetime)", async () => {
    const short = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 3 } });
    try {
      const first = ok(await runCli(["credential-process", ...short.args], { env: short.env }));
      const second = ok(await runCli(["credential-process", ...short.args], { env: short.env }));
      assert.equal(second.AccessKeyId, first.AccessKeyId, "fresh while more than a third of the lifetime remains");
      assert.equal(short.ra.createSessionCount, 1);
      await new Promise((resolve) => setTimeout(resolve, 2600));
      const third = ok(await runCli(["credential-process", ...short.args], { env: short.env }));
      assert.notEqual(third.AccessKeyId, first.AccessKeyId);
      assert.equal(short.ra.createSessionCount, 2);
    } finally {
      await short.close();
    }
  });

  test("errors: stderr has one line with the fix, stdout is empty, the exit code says which kind", async () => {
    const missing = await runCli(["credential-process", ...f.args, "--private-key", join(f.dir, "nope.key"), "--no-cache"], { env: f.env });
    assert.equal(missing.code, 3);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, /nope\.key does not exist\. Pass/);
    assert.equal(missing.stderr.trim().split("\n").length, 1);

    const denied = await runCli(["credential-process", ...f.args, "--role-arn", "arn:aws:iam::123456789012:role/not-allowed", "--no-cache"], { env: f.env });
    assert.equal(denied.code, 1);
    assert.equal(denied.stdout, "");
    assert.match(denied.stderr, /AccessDeniedException.*check that the profile/);

    const badArn = await runCli(["credential-process", ...f.args, "--profile-arn", "arn:aws:iam::123456789012:role/x", "--no-cache"], { env: f.env });
    assert.equal(badArn.code, 3);
    assert.match(badArn.stderr, /--profile-arn .* is a iam role ARN, not a rolesanywhere profile ARN/, "named as the flag the user typed");

    const roleIndex = f.args.indexOf("--role-arn");
    const noRole = await runCli(["credential-process", ...f.args.slice(0, roleIndex), ...f.args.slice(roleIndex + 2), "--no-cache"], { env: f.env });
    assert.equal(noRole.code, 2, "a missing required value is a usage error, like a missing --endpoint for IoT");
    assert.match(noRole.stderr, /--role-arn is required: the IAM role to assume/);

    const shortSession = await runCli(["credential-process", ...f.args, "--session-duration", "100", "--no-cache"], { env: f.env });
    assert.equal(shortSession.code, 3);
    assert.match(shortSession.stderr, /^certcreds credential-process: --session-duration 100 is out of range/);

    const unreachable = await runCli(["credential-process", ...f.args, "--endpoint", "http://127.0.0.1:9", "--no-cache"], { env: f.env });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /Could not connect to 127\.0\.0\.1:9/);
  });

  test("--debug never prints the secret key, the session token or key material", async () => {
    const env = { ...f.env, CERTCREDS_CACHE_DIR: join(f.dir, "debug-cache") };
    const cold = await runCli(["credential-process", ...f.args, "--debug"], { env });
    const warm = await runCli(["credential-process", ...f.args, "--debug"], { env });
    const failed = await runCli(["credential-process", ...f.args, "--debug", "--no-cache", "--endpoint", "http://127.0.0.1:9"], { env });
    const out = ok(cold);
    ok(warm);
    assert.match(cold.stderr, /debug/);
    assert.match(warm.stderr, /cached credentials/);
    assertNoSecrets([cold.stderr, warm.stderr, failed.stderr], [out.SecretAccessKey, out.SessionToken, ...pemBodyLines(f.device.privateKeyPem)]);
  });
});

describe("credential-process (AWS IoT)", () => {
  let f: RolesAnywhereFixture;
  let fx: IotFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    fx = await createIotFixture(f.dir, { keyType: "rsa-2048" });
  });
  after(async () => {
    await fx?.close();
    await f?.close();
  });

  const iotArgs = () => fx.args;

  test("prints IoT credentials and caches them", async () => {
    const first = ok(await runCli(["credential-process", ...iotArgs()], { env: f.env }));
    const second = ok(await runCli(["credential-process", ...iotArgs()], { env: f.env }));
    assert.equal(second.AccessKeyId, first.AccessKeyId);
    assert.equal(fx.iot.credentialsIssued, 1);
    assert.equal(fx.iot.issued.get(first.AccessKeyId)?.secretAccessKey, first.SecretAccessKey);
  });

  test("--role-alias and --trust-anchor-arn together, or neither, is a usage error that says what to pass", async () => {
    const both = await runCli(["credential-process", ...iotArgs(), "--trust-anchor-arn", f.ra.trustAnchorArn], { env: f.env });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /pass only one/);
    const neither = await runCli(["credential-process", "--certificate", f.certFile], { env: f.env });
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /pass --trust-anchor-arn, --profile-arn and --role-arn .* or --role-alias, --thing-name and --endpoint/);
    const noEndpoint = await runCli(["credential-process", ...iotArgs().slice(0, 8)], { env: f.env });
    assert.equal(noEndpoint.code, 2);
    assert.match(noEndpoint.stderr, /--endpoint is required for AWS IoT/);
    const foreign = await runCli(["credential-process", ...iotArgs(), "--session-duration", "3600"], { env: f.env });
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /role alias sets the lifetime/);
  });

  test("an untrusted endpoint certificate is explained; --no-verify-ssl warns", async () => {
    const args = iotArgs().slice(0, -2);
    const untrusted = await runCli(["credential-process", ...args, "--no-cache"], { env: f.env });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /not trusted.*--ca-cert/);
    assert.equal(
      untrusted.stderr.trim().split("\n").length,
      1,
      `an IoT failure is one line, not the library's error line and then the command's: ${untrusted.stderr}`,
    );
    const insecure = await runCli(["credential-process", ...args, "--no-cache", "--no-verify-ssl"], { env: f.env });
    ok(insecure);
    assert.match(insecure.stderr, /NOT verified/);
  });
});
