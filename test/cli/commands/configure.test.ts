/**
 * `certcreds configure` writes a credential_process profile that the real
 * AWS CLI (and the SDK for JavaScript) run: every other byte of the config
 * file kept, a rerun updating in place, absolute paths, and a Node binary
 * and certcreds script whose paths hold spaces.
 */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, linkSync, mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { awsClis, callerIdentity } from "../../helpers/aws-cli.js";
import {
  BIN,
  createIotFixture,
  createRolesAnywhereFixture,
  type IotFixture,
  ROOT,
  type RolesAnywhereFixture,
  requireBuild,
  runCli,
  runProgram,
} from "../../helpers/cli.js";

const CLIS = awsClis();
const skip = CLIS.length > 0 ? false : "the AWS CLI is not installed (apt-get install awscli)";

/** The value of credential_process in profile `section` of `text`. */
function credentialProcessOf(text: string, section: string): string {
  const start = text.indexOf(`[${section}]`);
  assert.ok(start >= 0, `[${section}] is in the file`);
  const line = /\ncredential_process = (.*)/.exec(text.slice(start))?.[1];
  assert.ok(line, `[${section}] has a credential_process`);
  return line;
}

describe("certcreds configure", { skip }, () => {
  let f: RolesAnywhereFixture;
  let iot: IotFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    iot = await createIotFixture(f.dir);
  });
  after(async () => {
    await iot?.close();
    await f?.close();
  });

  const roleArgs = () => ["--trust-anchor-arn", f.ra.trustAnchorArn, "--profile-arn", f.ra.profileArn, "--role-arn", f.ra.roleArn, "--endpoint", f.ra.url];

  test("writes [profile NAME] with absolute paths, keeps every other byte, updates in place; aws sts get-caller-identity works", async () => {
    const config = join(f.dir, "aws-config");
    const before = "# my profiles\n[default]\nregion = eu-west-1\n\n[profile other]\ncredential_process = /bin/false\n";
    const after = "\n[sso-session corp]\nsso_region = us-east-1\n";
    await writeFile(config, `${before}\n[profile device]\noutput = json\n${after}`);
    const env = { HOME: f.home, AWS_CONFIG_FILE: config };
    // Relative paths, from the fixture's directory: the profile must work from anywhere.
    const args = [
      "configure",
      "--profile",
      "device",
      "--region",
      "us-east-1",
      "--certificate",
      "device.pem",
      "--private-key",
      "device.key",
      "--intermediates",
      "chain.pem",
    ];
    const first = await runCli([...args, ...roleArgs()], { env, cwd: f.dir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout,
      `certcreds configure: wrote [profile device] of ${config}: credential_process runs certcreds credential-process (IAM Roles Anywhere), region us-east-1.\nTry it: aws sts get-caller-identity --profile device\n`,
    );
    const written = await readFile(config, "utf8");
    const expected = [
      process.execPath,
      realpathSync(BIN),
      "credential-process",
      "--certificate",
      f.certFile,
      "--private-key",
      f.keyFile,
      "--intermediates",
      f.chainFile,
      ...roleArgs(),
    ];
    assert.equal(written, `${before}\n[profile device]\noutput = json\ncredential_process = ${expected.join(" ")}\nregion = us-east-1\n${after}`);

    // A rerun with another option: the same line rewritten where it stands, nothing else changed.
    const second = await runCli([...args, ...roleArgs(), "--session-duration", "1800"], { env, cwd: f.dir });
    assert.equal(second.code, 0, second.stderr);
    const rewritten = await readFile(config, "utf8");
    assert.equal(rewritten, written.replace(`--endpoint ${f.ra.url}\n`, `--session-duration 1800 --endpoint ${f.ra.url}\n`));

    for (const cli of CLIS) {
      const identity = await callerIdentity(
        cli,
        "device",
        { ...env, AWS_SHARED_CREDENTIALS_FILE: join(f.dir, "none"), AWS_ENDPOINT_URL_STS: f.sts.url },
        f.sts.url,
      );
      assert.match(identity.Arn, /^arn:aws:sts::123456789012:assumed-role\/cli-role\//, `aws ${cli.version}`);
    }
  });

  test("--profile default writes [default] into ~/.aws/config (directory 0700, file 0600); IoT; the SDK for JavaScript runs it too", async () => {
    const home = await mkdtemp(join(tmpdir(), "certcreds-configure-home-"));
    try {
      const result = await runCli(["configure", "--profile", "default", "--region", "us-east-1", ...iot.args, "--no-cache"], { env: { HOME: home } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /wrote \[default\] of .*\/\.aws\/config: .*\(AWS IoT\), region us-east-1\./);
      const config = join(home, ".aws", "config");
      assert.equal((await stat(join(home, ".aws"))).mode & 0o777, 0o700);
      assert.equal((await stat(config)).mode & 0o777, 0o600);
      assert.match(credentialProcessOf(await readFile(config, "utf8"), "default"), / credential-process --certificate \S+thing\.pem .*--no-cache$/);
      for (const cli of CLIS) {
        const identity = await callerIdentity(cli, "default", { HOME: home, AWS_ENDPOINT_URL_STS: iot.sts.url }, iot.sts.url);
        assert.match(identity.Arn, /assumed-role\/iot-role\//, `aws ${cli.version}`);
      }
      // The SDK for JavaScript runs credential_process through /bin/sh.
      const script = `const r = require("node:module").createRequire(${JSON.stringify(join(ROOT, "package.json"))});
        const { fromProcess } = r("@aws-sdk/credential-providers"); const { STSClient, GetCallerIdentityCommand } = r("@aws-sdk/client-sts");
        new STSClient({ region: "us-east-1", endpoint: ${JSON.stringify(iot.sts.url)}, credentials: fromProcess({ profile: "default" }) })
          .send(new GetCallerIdentityCommand({})).then((a) => console.log(a.Arn), (e) => { console.error(e.message); process.exit(1); });`;
      const sdk = await runProgram(process.execPath, ["-e", script], {
        PATH: process.env.PATH ?? "",
        HOME: home,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      });
      assert.equal(sdk.code, 0, sdk.stderr);
      assert.match(sdk.stdout, /assumed-role\/iot-role\//);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test("warns when the AWS CLI would not run the profile's credential_process (static keys, role_arn)", async () => {
    const config = join(f.dir, "aws-config-shadowed");
    const credentials = join(f.dir, "credentials-shadowed");
    await writeFile(config, "[profile assumed]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n");
    await writeFile(credentials, "[updated]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = example\n");
    const env = { HOME: f.home, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const args = ["--certificate", f.certFile, "--private-key", f.keyFile, ...roleArgs()];
    const assumed = await runCli(["configure", "--profile", "assumed", ...args], { env });
    assert.equal(assumed.code, 0, assumed.stderr);
    assert.match(
      assumed.stderr,
      /^certcreds configure: warning: profile assumed of \S+ also sets role_arn, which the AWS CLI and SDKs use before credential_process: remove it there\.\n$/,
    );
    const updated = await runCli(["configure", "--profile", "updated", ...args], { env });
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stderr, /warning: \[updated\] of \S+credentials-shadowed holds aws_access_key_id, .*before credential_process/);
    const clean = await runCli(["configure", "--profile", "fresh", ...args], { env });
    assert.equal(clean.stderr, "");
  });

  test("a Node binary, a script (reached through a symlink, as npm installs it) and files whose paths hold spaces", async () => {
    const spaced = join(f.dir, "with space");
    const pkg = join(spaced, "certcreds pkg");
    mkdirSync(join(spaced, ".bin"), { recursive: true });
    // The program as installed elsewhere: its bin file and bundle; the Node binary a hard link (a copy across file systems).
    cpSync(join(ROOT, "bin"), join(pkg, "bin"), { recursive: true });
    cpSync(join(ROOT, "dist", "cli"), join(pkg, "dist", "cli"), { recursive: true });
    const script = join(pkg, "bin", BIN.split("/").at(-1)!);
    symlinkSync(script, join(spaced, ".bin", "certcreds"));
    const node = join(spaced, "node");
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
    }
    copyFileSync(f.certFile, join(spaced, "device cert.pem"));
    copyFileSync(f.keyFile, join(spaced, "device key.pem"));
    const config = join(f.dir, "aws-config-spaces");
    const env = { PATH: process.env.PATH ?? "", HOME: f.home, AWS_CONFIG_FILE: config };
    const args = [
      "configure",
      "--profile",
      "spaced",
      "--region",
      "us-east-1",
      "--certificate",
      join(spaced, "device cert.pem"),
      "--private-key",
      join(spaced, "device key.pem"),
    ];
    const result = await runProgram(node, [join(spaced, ".bin", "certcreds"), ...args, "--intermediates", f.chainFile, ...roleArgs()], env);
    assert.equal(result.code, 0, result.stderr);
    const line = credentialProcessOf(await readFile(config, "utf8"), "profile spaced");
    assert.ok(
      line.startsWith(`'${node}' '${script}' credential-process --certificate '${spaced}/device cert.pem' --private-key '${spaced}/device key.pem' `),
      line,
    );
    for (const cli of CLIS) {
      const identity = await callerIdentity(cli, "spaced", { HOME: f.home, AWS_CONFIG_FILE: config, AWS_ENDPOINT_URL_STS: f.sts.url }, f.sts.url);
      assert.match(identity.Arn, /assumed-role\/cli-role\//, `aws ${cli.version}`);
    }
  });
});
