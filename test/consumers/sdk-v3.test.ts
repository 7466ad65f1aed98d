/**
 * The AWS SDK for JavaScript v3 as the consumer: `fromProcess` running
 * `certcreds credential-process` (both mechanisms), and `fromInstanceMetadata`,
 * `fromContainerMetadata` and `fromHttp` reading `certcreds serve` — each
 * proven with GetCallerIdentity against the STS emulator.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromHttp, fromProcess } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import {
  BIN,
  createIotFixture,
  createRolesAnywhereFixture,
  type IotFixture,
  ROOT,
  type RolesAnywhereFixture,
  requireBuild,
  runProgram,
  type Served,
  startServe,
} from "../helpers/cli.js";

async function callerArn(credentials: AwsCredentialIdentityProvider, sts: string): Promise<string> {
  const client = new STSClient({ region: "us-east-1", endpoint: sts, credentials });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn!;
  } finally {
    client.destroy();
  }
}

/** Runs a provider in a child process whose environment holds only what the test sets (the SDK reads it from process.env). */
function inChild(dir: string, provider: "fromInstanceMetadata" | "fromContainerMetadata", sts: string, env: Record<string, string>) {
  const script = join(dir, `${provider}.mjs`);
  const code = `
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
const { ${provider} } = require("@aws-sdk/credential-providers");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const credentials = ${provider}();
const identity = await credentials();
const client = new STSClient({ region: "us-east-1", endpoint: ${JSON.stringify(sts)}, credentials });
const caller = await client.send(new GetCallerIdentityCommand({}));
console.log(JSON.stringify({ accessKeyId: identity.accessKeyId, expiration: identity.expiration, arn: caller.Arn }));
`;
  return writeFile(script, code).then(() => runProgram(process.execPath, [script], { PATH: process.env.PATH ?? "", ...env }));
}

describe("SDK v3 fromProcess → certcreds credential-process", () => {
  let f: RolesAnywhereFixture;
  let fx: IotFixture;
  let config: string;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    fx = await createIotFixture(f.dir);
    config = join(f.dir, "sdk-config");
    const cacheDir = join(f.dir, "sdk-cache");
    await writeFile(
      config,
      [
        "[profile ra]",
        `credential_process = ${[process.execPath, BIN, "credential-process", ...f.args, "--cache-dir", cacheDir].join(" ")}`,
        "[profile iot]",
        `credential_process = ${[process.execPath, BIN, "credential-process", ...fx.args, "--cache-dir", cacheDir].join(" ")}`,
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    await fx?.close();
    await f?.close();
  });

  test("IAM Roles Anywhere", async () => {
    const provider = fromProcess({ profile: "ra", configFilepath: config, filepath: join(f.dir, "none") });
    const credentials = await provider();
    assert.ok(credentials.expiration instanceof Date && credentials.expiration.getTime() > Date.now());
    assert.ok(f.ra.issued.get(credentials.accessKeyId));
    assert.match(await callerArn(provider, f.sts.url), /assumed-role\/cli-role\//);
  });

  test("AWS IoT", async () => {
    const provider = fromProcess({ profile: "iot", configFilepath: config, filepath: join(f.dir, "none") });
    assert.match(await callerArn(provider, fx.sts.url), /assumed-role\/iot-role\//);
    assert.equal(fx.iot.credentialsIssued, 1);
  });
});

describe("SDK v3 fromInstanceMetadata, fromContainerMetadata, fromHttp → certcreds serve", () => {
  let f: RolesAnywhereFixture;
  let served: Served;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    served = await startServe(f.args, { env: f.env });
  });
  after(async () => {
    await served?.cli.stop();
    await f?.close();
  });

  test("fromInstanceMetadata over IMDSv2 (v1 fallback disabled)", async () => {
    const result = await inChild(f.dir, "fromInstanceMetadata", f.sts.url, {
      HOME: f.home,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: served.exports.AWS_EC2_METADATA_SERVICE_ENDPOINT!,
      AWS_EC2_METADATA_V1_DISABLED: "true",
    });
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout);
    assert.ok(f.ra.issued.get(answer.accessKeyId));
    assert.match(answer.arn, /assumed-role\/cli-role\//);
  });

  test("fromContainerMetadata (it reads the token from AWS_CONTAINER_AUTHORIZATION_TOKEN, not the file)", async () => {
    const result = await inChild(f.dir, "fromContainerMetadata", f.sts.url, {
      HOME: f.home,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: served.containerUri,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: await readFile(served.tokenFile, "utf8"),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(JSON.parse(result.stdout).arn, /assumed-role\/cli-role\//);
  });

  test("fromHttp with the token file", async () => {
    const provider = fromHttp({ awsContainerCredentialsFullUri: served.containerUri, awsContainerAuthorizationTokenFile: served.tokenFile });
    const credentials = await provider();
    assert.ok(f.ra.issued.get(credentials.accessKeyId));
    assert.match(await callerArn(provider, f.sts.url), /assumed-role\/cli-role\//);
    assert.equal(f.ra.createSessionCount, 1, "every consumer served from one upstream call");
  });
});
