/**
 * The AWS CLI as the consumer: `credential_process = certcreds credential-process …`
 * in a temporary AWS_CONFIG_FILE, and `certcreds update` feeding the shared
 * credentials file, both proven with `aws sts get-caller-identity` against
 * the STS emulator.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  BIN,
  type CliResult,
  createRolesAnywhereFixture,
  type RolesAnywhereFixture,
  requireBuild,
  runCli,
  runProgram,
  startServe,
  which,
} from "../helpers/cli.js";

// Debian's awscli (what .ci/run installs) first, else any `aws` on PATH.
const AWS = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : which("aws");
const skip = AWS ? false : "the AWS CLI is not installed (apt-get install awscli)";

function aws(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProgram(AWS!, args, { PATH: process.env.PATH ?? "", AWS_EC2_METADATA_DISABLED: "true", AWS_PAGER: "", ...env });
}

describe("AWS CLI", { skip }, () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
  });
  after(() => f?.close());

  test("credential_process = certcreds credential-process: aws sts get-caller-identity works, and the cache spares CreateSession", async () => {
    const config = join(f.dir, "aws-config");
    const command = [process.execPath, BIN, "credential-process", ...f.args].join(" ");
    await writeFile(config, `[profile certcreds]\nregion = us-east-1\ncredential_process = ${command}\n`);
    const env = { HOME: f.home, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(f.dir, "no-credentials") };
    const before = f.ra.createSessionCount;
    for (let i = 0; i < 3; i++) {
      const result = await aws(["sts", "get-caller-identity", "--endpoint-url", f.sts.url, "--profile", "certcreds", "--output", "json"], env);
      assert.equal(result.code, 0, result.stderr);
      const identity = JSON.parse(result.stdout);
      assert.equal(identity.Account, "123456789012");
      assert.match(identity.Arn, /^arn:aws:sts::123456789012:assumed-role\/cli-role\//);
    }
    assert.equal(f.ra.createSessionCount - before, 1, "three aws commands, one CreateSession");
  });

  test("a failing credential_process surfaces certcreds' one-line error", async () => {
    const config = join(f.dir, "aws-config-broken");
    const command = [process.execPath, BIN, "credential-process", ...f.args, "--private-key", join(f.dir, "missing.key"), "--no-cache"].join(" ");
    await writeFile(config, `[profile broken]\nregion = us-east-1\ncredential_process = ${command}\n`);
    const result = await aws(["sts", "get-caller-identity", "--endpoint-url", f.sts.url, "--profile", "broken"], {
      HOME: f.home,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(f.dir, "no-credentials"),
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /missing\.key does not exist/);
  });

  test("certcreds serve: aws reads the IMDSv2 endpoint as printed, and the container endpoint", async () => {
    const served = await startServe(f.args, { env: f.env });
    try {
      const base = { HOME: f.home, AWS_CONFIG_FILE: join(f.dir, "no-config"), AWS_SHARED_CREDENTIALS_FILE: join(f.dir, "no-credentials") };
      const imds = { ...base, AWS_EC2_METADATA_DISABLED: "false", AWS_EC2_METADATA_SERVICE_ENDPOINT: served.exports.AWS_EC2_METADATA_SERVICE_ENDPOINT! };
      // Debian's AWS CLI 2.9 predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: it takes the token itself, as serve's comment line says.
      const token = (await readFile(served.tokenFile, "utf8")).trim();
      const container = {
        ...base,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: served.containerUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
        AWS_EC2_METADATA_DISABLED: "true",
      };
      for (const env of [imds, container]) {
        const result = await aws(["sts", "get-caller-identity", "--endpoint-url", f.sts.url, "--region", "us-east-1", "--output", "json"], env);
        assert.equal(result.code, 0, result.stderr);
        assert.match(JSON.parse(result.stdout).Arn, /assumed-role\/cli-role\//);
      }
    } finally {
      await served.cli.stop();
    }
  });

  test("certcreds update, then aws reads the shared credentials file", async () => {
    const credentials = join(f.dir, "aws-credentials");
    await writeFile(credentials, "[someone-else]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n");
    const updated = await runCli(["update", ...f.args, "--profile", "device", "--once"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: credentials } });
    assert.equal(updated.code, 0, updated.stderr);
    const result = await aws(["sts", "get-caller-identity", "--endpoint-url", f.sts.url, "--profile", "device", "--region", "us-east-1", "--output", "json"], {
      HOME: f.home,
      AWS_CONFIG_FILE: join(f.dir, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: credentials,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(JSON.parse(result.stdout).Arn, /assumed-role\/cli-role\//);
  });
});
