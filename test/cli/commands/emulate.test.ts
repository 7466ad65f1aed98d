/**
 * `certcreds emulate`: the running emulators, the files it writes, its guide
 * — proven with the real AWS CLI on both profiles (DIR/aws-config alone, and
 * after sourcing DIR/env in bash) and with credential-process fed the env
 * values; SIGTERM ends it with exit 0 and the ports free.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { awsClis, callerIdentity } from "../../helpers/aws-cli.js";
import { assertNoSecrets, pemBodyLines } from "../../helpers/log-capture.js";
import { BIN, parseProcessOutput, type RunningCli, requireBuild, runProgram, startCli } from "../../helpers/cli.js";

const CLIS = awsClis();
const skip = CLIS.length > 0 ? false : "the AWS CLI is not installed (apt-get install awscli)";

/** Whether a port of 127.0.0.1 can be listened on (nothing holds it). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Runs `script` in `bash -c` with DIR/env sourced first. */
function inBash(dir: string, home: string, script: string) {
  return runProgram("bash", ["-c", `set -e; . "$EMULATE_DIR/env"; ${script}`], {
    PATH: process.env.PATH ?? "",
    HOME: home,
    EMULATE_DIR: dir,
    NODE: process.execPath,
    CERTCREDS: BIN,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  });
}

describe("certcreds emulate", { skip }, () => {
  let base: string;
  let home: string;
  let running: RunningCli | undefined;
  before(async () => {
    await requireBuild();
    base = await mkdtemp(join(tmpdir(), "certcreds-emulate-"));
    home = join(base, "home");
  });
  after(async () => {
    await running?.stop("SIGKILL");
    await rm(base, { recursive: true, force: true });
  });

  test("writes the PKI, env and aws-config; both profiles and credential-process work; SIGTERM exits 0 and frees the ports", async () => {
    // A directory with a space: every path in env and aws-config must be quoted right.
    const dir = join(base, "emulate dir");
    running = startCli(["emulate", "--dir", dir], { env: { HOME: home } });
    await running.waitForOutput(/Ctrl-C stops the emulators\.\n/, 60_000);
    const guide = running.stdout();
    const ports = [...guide.matchAll(/^ {2}(?:IAM Roles Anywhere|AWS IoT|STS) +https?:\/\/127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(ports.length, 3, guide);
    assert.match(guide, /\n {2}aws sts get-caller-identity --profile certcreds-roles-anywhere\n {2}aws sts get-caller-identity --profile certcreds-iot\n/);
    assert.match(guide, /\n {2}certcreds credential-process --certificate "\$CERTCREDS_RA_CERTIFICATE" /);

    for (const [name, mode] of [
      ["ra-device.key", 0o600],
      ["iot-thing.key", 0o600],
      ["ra-device.pem", 0o644],
      ["iot-endpoint-ca.pem", 0o644],
      ["env", 0o600],
      ["aws-config", 0o600],
    ] as const) {
      assert.equal((await stat(join(dir, name))).mode & 0o777, mode, name);
    }
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const env = await readFile(join(dir, "env"), "utf8");
    for (const name of [
      "AWS_ENDPOINT_URL_STS",
      "AWS_CONFIG_FILE",
      "CERTCREDS_RA_TRUST_ANCHOR_ARN",
      "CERTCREDS_RA_PROFILE_ARN",
      "CERTCREDS_RA_ROLE_ARN",
      "CERTCREDS_IOT_ROLE_ALIAS",
      "CERTCREDS_IOT_THING_NAME",
      "CERTCREDS_IOT_CA_CERT",
    ]) {
      assert.match(env, new RegExp(`^export ${name}=\\S`, "m"), name);
    }

    for (const cli of CLIS) {
      for (const [profile, role] of [
        ["certcreds-roles-anywhere", "emulate-device-role"],
        ["certcreds-iot", "emulate-iot-role"],
      ] as const) {
        // DIR/aws-config alone: its [services] section sends STS to the emulator.
        const identity = await callerIdentity(cli, profile, { HOME: home, AWS_CONFIG_FILE: join(dir, "aws-config") }, `http://127.0.0.1:${ports[2]}`);
        assert.match(identity.Arn, new RegExp(`assumed-role/${role}/`), `aws ${cli.version} --profile ${profile}`);
        // After sourcing DIR/env, as the guide says.
        const endpoint = cli.configuredEndpoints ? "" : ' --endpoint-url "$AWS_ENDPOINT_URL_STS"';
        const sourced = await inBash(dir, home, `${JSON.stringify(cli.path)} sts get-caller-identity --profile ${profile} --output json${endpoint}`);
        assert.equal(sourced.code, 0, sourced.stderr);
        assert.match(JSON.parse(sourced.stdout).Arn, new RegExp(`assumed-role/${role}/`));
      }
    }

    // credential-process with the env values, both mechanisms (the IoT one trusting the CA bundle in DIR).
    const ra = await inBash(
      dir,
      home,
      '"$NODE" "$CERTCREDS" credential-process --certificate "$CERTCREDS_RA_CERTIFICATE" --private-key "$CERTCREDS_RA_PRIVATE_KEY" --intermediates "$CERTCREDS_RA_INTERMEDIATES" --trust-anchor-arn "$CERTCREDS_RA_TRUST_ANCHOR_ARN" --profile-arn "$CERTCREDS_RA_PROFILE_ARN" --role-arn "$CERTCREDS_RA_ROLE_ARN" --endpoint "$CERTCREDS_RA_ENDPOINT"',
    );
    assert.equal(ra.code, 0, ra.stderr);
    assert.match(parseProcessOutput(ra.stdout).AccessKeyId, /^ASIA/);
    const iot = await inBash(
      dir,
      home,
      '"$NODE" "$CERTCREDS" credential-process --certificate "$CERTCREDS_IOT_CERTIFICATE" --private-key "$CERTCREDS_IOT_PRIVATE_KEY" --role-alias "$CERTCREDS_IOT_ROLE_ALIAS" --thing-name "$CERTCREDS_IOT_THING_NAME" --endpoint "$CERTCREDS_IOT_ENDPOINT" --ca-cert "$CERTCREDS_IOT_CA_CERT"',
    );
    assert.equal(iot.code, 0, iot.stderr);
    assert.match(parseProcessOutput(iot.stdout).AccessKeyId, /^ASIA/);

    const stopped = await running.stop("SIGTERM");
    running = undefined;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /SIGTERM: stopping the emulators/);
    // The keys stay in their files: not in what it printed, env or aws-config.
    const keys = [...pemBodyLines(await readFile(join(dir, "ra-device.key"), "utf8")), ...pemBodyLines(await readFile(join(dir, "iot-thing.key"), "utf8"))];
    assertNoSecrets([stopped.stdout, stopped.stderr, env, await readFile(join(dir, "aws-config"), "utf8")], keys);
    for (const port of ports) assert.ok(await isFree(port), `port ${port} is free again`);
  });

  test("--port N: Roles Anywhere on N, IoT on N+1, STS on N+2; SIGINT stops it too", async () => {
    let port = 0;
    for (let tries = 0; tries < 20 && port === 0; tries++) {
      const candidate = 20_000 + Math.floor(Math.random() * 40_000);
      if ((await isFree(candidate)) && (await isFree(candidate + 1)) && (await isFree(candidate + 2))) port = candidate;
    }
    assert.notEqual(port, 0, "three free ports in a row");
    running = startCli(["emulate", `--dir=${join(base, "ports")}`, "--port", String(port)], { env: { HOME: home } });
    await running.waitForOutput(/Ctrl-C stops the emulators/, 60_000);
    assert.match(
      running.stdout(),
      new RegExp(
        `IAM Roles Anywhere {2}http://127\\.0\\.0\\.1:${port}\\n {2}AWS IoT {13}https://127\\.0\\.0\\.1:${port + 1} .*\\n {2}STS {17}http://127\\.0\\.0\\.1:${port + 2}\\n`,
      ),
    );
    const stopped = await running.stop("SIGINT");
    running = undefined;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(await isFree(port));
  });
});
