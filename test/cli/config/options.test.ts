import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRolesAnywhereFixture, parseProcessOutput, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture({ emulator: { profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/cli-role"], durationSeconds: 43_200 }] } });
});
after(() => f?.close());

/** The durationSeconds the emulator received in the last CreateSession. */
function lastDuration(): number {
  return JSON.parse(f.ra.requests.at(-1)!.body).durationSeconds;
}

describe("options from flags, CERTCREDS_* variables and a config-file profile", () => {
  test("precedence: flag > environment > profile", async () => {
    const config = join(f.dir, "precedence.ini");
    await writeFile(config, "[p]\nsession-duration = 1000\n");
    const base = ["credential-process", ...f.args, "--no-cache", "--config-file", config, "--profile-name", "p"];
    const env = { ...f.env, CERTCREDS_SESSION_DURATION: "2000" };
    parseProcessOutput((await runCli([...base, "--session-duration", "3000"], { env })).stdout);
    assert.equal(lastDuration(), 3000);
    parseProcessOutput((await runCli(base, { env })).stdout);
    assert.equal(lastDuration(), 2000);
    parseProcessOutput((await runCli(base, { env: f.env })).stdout);
    assert.equal(lastDuration(), 1000);
  });

  test("a whole configuration from a profile: the credential_process line stays short", async () => {
    const configDir = join(f.home, ".config", "certcreds");
    await mkdir(configDir, { recursive: true });
    // Paths relative to the config file, underscores or dashes, comments.
    const lines = [
      "# device profiles",
      "[device]",
      `certificate = ${relative(configDir, f.certFile)}`,
      `private_key = ${relative(configDir, f.keyFile)}`,
      `intermediates = ${f.chainFile}`,
      `trust-anchor-arn = ${f.ra.trustAnchorArn}`,
      `profile-arn = ${f.ra.profileArn}`,
      `role-arn = "${f.ra.roleArn}"`,
      `endpoint = ${f.ra.url}`,
      "session-duration = 1800",
      "",
      "[default]",
      ...[`certificate = ${f.certFile}`, `private-key = ${f.keyFile}`, `intermediates = ${f.chainFile}`],
      ...[`trust-anchor-arn = ${f.ra.trustAnchorArn}`, `profile-arn = ${f.ra.profileArn}`, `role-arn = ${f.ra.roleArn}`, `endpoint = ${f.ra.url}`],
      "session-duration = 2700",
    ];
    await writeFile(join(configDir, "config"), lines.join("\n"));
    const named = await runCli(["credential-process", "--profile-name", "device", "--no-cache"], { env: f.env });
    assert.equal(named.code, 0, named.stderr);
    parseProcessOutput(named.stdout);
    assert.equal(lastDuration(), 1800);
    const fromEnv = await runCli(["credential-process", "--no-cache"], { env: { ...f.env, CERTCREDS_PROFILE_NAME: "device" } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(lastDuration(), 1800);
    const byDefault = await runCli(["credential-process", "--no-cache"], { env: f.env });
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.equal(lastDuration(), 2700, "[default] applies without --profile-name");
    const xdg = join(f.dir, "xdg");
    await mkdir(join(xdg, "certcreds"), { recursive: true });
    await writeFile(join(xdg, "certcreds", "config"), "[default]\nsession-duration = 900\n");
    const viaXdg = await runCli(["credential-process", ...f.args, "--no-cache"], { env: { ...f.env, XDG_CONFIG_HOME: xdg } });
    assert.equal(viaXdg.code, 0, viaXdg.stderr);
    assert.equal(lastDuration(), 900);
  });

  test("every flag from its CERTCREDS_ variable, booleans included", async () => {
    const env = {
      ...f.env,
      CERTCREDS_CERTIFICATE: f.certFile,
      CERTCREDS_PRIVATE_KEY: f.keyFile,
      CERTCREDS_INTERMEDIATES: f.chainFile,
      CERTCREDS_TRUST_ANCHOR_ARN: f.ra.trustAnchorArn,
      CERTCREDS_PROFILE_ARN: f.ra.profileArn,
      CERTCREDS_ROLE_ARN: f.ra.roleArn,
      CERTCREDS_ENDPOINT: f.ra.url,
      CERTCREDS_NO_CACHE: "true",
      CERTCREDS_DEBUG: "1",
    };
    const before = f.ra.createSessionCount;
    const result = await runCli(["credential-process"], { env });
    assert.equal(result.code, 0, result.stderr);
    parseProcessOutput(result.stdout);
    assert.match(result.stderr, /debug/);
    await runCli(["credential-process"], { env });
    assert.equal(f.ra.createSessionCount - before, 2, "CERTCREDS_NO_CACHE=true bypassed the cache");
    const bad = await runCli(["credential-process"], { env: { ...env, CERTCREDS_NO_CACHE: "maybe" } });
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /CERTCREDS_NO_CACHE must be true or false/);
  });

  test("config-file mistakes are configuration errors (exit 3) that say what to change", async () => {
    const config = join(f.dir, "mistakes.ini");
    await writeFile(config, "[good]\nregion = us-east-1\n[typo]\ntrust-anchor = x\n[nested]\nprofile-name = other\n");
    const missingProfile = await runCli(["credential-process", "--config-file", config, "--profile-name", "absent"]);
    assert.equal(missingProfile.code, 3);
    assert.match(missingProfile.stderr, /profile "absent" is not in .*mistakes\.ini \(it has \[good\], \[typo\], \[nested\]\)/);
    const typo = await runCli(["credential-process", "--config-file", config, "--profile-name", "typo"]);
    assert.equal(typo.code, 3);
    assert.match(typo.stderr, /unknown key "trust-anchor" in profile \[typo\].* Did you mean trust-anchor-arn\?/);
    const nested = await runCli(["credential-process", "--config-file", config, "--profile-name", "nested"]);
    assert.equal(nested.code, 3);
    assert.match(nested.stderr, /"profile-name" cannot be set inside a profile/);
    const noFile = await runCli(["credential-process", "--profile-name", "x"], { env: { CERTCREDS_CONFIG_FILE: join(f.dir, "absent.ini") } });
    assert.equal(noFile.code, 3);
    assert.match(noFile.stderr, /absent\.ini does not exist \(profile "x" was asked for\)/);
  });
});
