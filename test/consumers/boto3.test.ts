/**
 * boto3 as the consumer of `certcreds serve`: once through IMDSv2
 * (AWS_EC2_METADATA_SERVICE_ENDPOINT), once through the container
 * credentials endpoint — each proven with a real STS call to the emulator,
 * with every boto3 installed here (Debian's python3-boto3 and any other).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type CliResult,
  createRolesAnywhereFixture,
  pythonsWithBoto3,
  type RolesAnywhereFixture,
  requireBuild,
  runProgram,
  type Served,
  startServe,
} from "../helpers/cli.js";

const PYTHONS = pythonsWithBoto3();

const SCRIPT = `
import json, sys, boto3
session = boto3.session.Session(region_name="us-east-1")
credentials = session.get_credentials()
identity = session.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()
print(json.dumps({"method": credentials.method, "accessKey": credentials.get_frozen_credentials().access_key, "arn": identity["Arn"]}))
`;

function python(interpreter: string, script: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProgram(interpreter, [script, ...args], { PATH: process.env.PATH ?? "", ...env });
}

/** botocore reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE since 1.30-ish; Debian 12's 1.29 reads only AWS_CONTAINER_AUTHORIZATION_TOKEN. */
function readsTokenFile(interpreter: string): boolean {
  const out = execFileSync(interpreter, ["-c", "from botocore.credentials import ContainerProvider as C; print(hasattr(C, 'ENV_VAR_AUTH_TOKEN_FILE'))"]);
  return out.toString().trim() === "True";
}

describe("boto3 through certcreds serve", { skip: PYTHONS.length ? false : "no python3 with boto3 (apt-get install python3-boto3)" }, () => {
  let f: RolesAnywhereFixture;
  let served: Served;
  let script: string;
  let env: Record<string, string>;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    served = await startServe(f.args, { env: f.env });
    script = join(f.dir, "boto3_identity.py");
    await writeFile(script, SCRIPT);
    // Nothing else boto3 could find: an empty HOME, no config files.
    env = { HOME: f.home, AWS_CONFIG_FILE: join(f.dir, "none"), AWS_SHARED_CREDENTIALS_FILE: join(f.dir, "none") };
  });
  after(async () => {
    await served?.cli.stop();
    await f?.close();
  });

  for (const interpreter of PYTHONS) {
    test(`${interpreter}: IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT)`, async () => {
      const result = await python(interpreter, script, [f.sts.url], {
        ...env,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: served.exports.AWS_EC2_METADATA_SERVICE_ENDPOINT!,
      });
      assert.equal(result.code, 0, result.stderr);
      const answer = JSON.parse(result.stdout);
      assert.equal(answer.method, "iam-role");
      assert.ok(f.ra.issued.get(answer.accessKey));
      assert.match(answer.arn, /^arn:aws:sts::123456789012:assumed-role\/cli-role\//);
    });

    test(`${interpreter}: container credentials endpoint with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, {
      skip: !readsTokenFile(interpreter) && "this botocore predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    }, async () => {
      const result = await python(interpreter, script, [f.sts.url], {
        ...env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: served.containerUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: served.tokenFile,
      });
      assert.equal(result.code, 0, result.stderr);
      const answer = JSON.parse(result.stdout);
      assert.equal(answer.method, "container-role");
      assert.match(answer.arn, /assumed-role\/cli-role\//);
    });

    test(`${interpreter}: container credentials endpoint with AWS_CONTAINER_AUTHORIZATION_TOKEN (older botocore)`, async () => {
      const result = await python(interpreter, script, [f.sts.url], {
        ...env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: served.containerUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: await readFile(served.tokenFile, "utf8"),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).method, "container-role");
    });
  }

  test("every boto3 was served from one upstream call", () => {
    assert.equal(f.ra.createSessionCount, 1);
  });
});
