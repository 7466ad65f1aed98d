/**
 * `certcreds configure` refuses what would write a broken or leaky profile:
 * one line on standard error naming the flag as typed and the fix, exit 2
 * for usage, 3 for unusable input — and the config file untouched.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

describe("certcreds configure: errors", () => {
  let f: RolesAnywhereFixture;
  let config: string;
  const ORIGINAL = "# untouched\n[profile device]\nregion = eu-west-1\n";
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
    config = join(f.dir, "aws-config");
    await writeFile(config, ORIGINAL);
  });
  after(() => f?.close());

  /** Runs configure and checks the exit code, a single stderr line matching `message`, nothing on stdout, the file unchanged. */
  async function refused(args: string[], code: number, message: RegExp, env: Record<string, string> = {}) {
    const result = await runCli(["configure", ...args], { env: { HOME: f.home, AWS_CONFIG_FILE: config, ...env } });
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^certcreds configure: [^\n]+\n$/, "one line");
    assert.match(result.stderr, message);
    assert.equal(await readFile(config, "utf8"), ORIGINAL, "the config file is untouched");
    return result.stderr;
  }

  const ra = (over: Record<string, string> = {}) =>
    Object.entries({
      "--certificate": f.certFile,
      "--private-key": f.keyFile,
      "--trust-anchor-arn": f.ra.trustAnchorArn,
      "--profile-arn": f.ra.profileArn,
      "--role-arn": f.ra.roleArn,
      "--endpoint": f.ra.url,
      ...over,
    }).flatMap(([flag, value]) => (value === "" ? [] : [flag, value]));

  test("usage errors exit 2: no --profile, a profile name SDKs cannot read, no mechanism, a missing required value", async () => {
    await refused(ra(), 2, /--profile is required: the name of the AWS profile to write/);
    await refused(["--profile", "two words", ...ra()], 2, /--profile "two words" is not a profile name every AWS SDK reads/);
    await refused(["--profile", "d", "--certificate", f.certFile], 2, /no mechanism chosen/);
    await refused(["--profile", "d", ...ra({ "--role-arn": "" })], 2, /--role-arn is required/);
    await refused(["--profile", "d", ...ra({ "--certificate": "" })], 2, /--certificate is required/);
    await refused(["--profile", "d", ...ra(), "--port", "1"], 2, /unknown option --port for "certcreds configure"/);
  });

  test("secrets are refused (exit 2), never echoed, with the way to give them instead", async () => {
    const passphrase = "correct horse battery staple";
    const stderr = await refused(
      ["--profile", "d", ...ra(), "--pkcs8-password", passphrase],
      2,
      /--pkcs8-password would write a secret .*CERTCREDS_PKCS8_PASSWORD/,
    );
    assert.ok(!stderr.includes("horse"));
    const pem = f.device.privateKeyPem;
    const keyText = await refused(
      ["--profile", "d", ...ra({ "--private-key": pem })],
      2,
      /--private-key is PEM text, which would put the key into the file: pass a file path .* or env:VAR/,
    );
    assert.ok(!keyText.includes(pem.split("\n")[1]!));
    await refused(["--profile", "d", ...ra({ "--private-key": "-" })], 2, /--private-key - reads standard input, .* pass a file path or env:VAR/);
    const pin = "pin-4711-0815";
    const uri = await refused(
      ["--profile", "d", ...ra({ "--private-key": `pkcs11:token=t;object=k?pin-value=${pin}` })],
      2,
      /holding a secret \(a PIN\).*pin-source=file:.*CERTCREDS_PKCS11_PIN/,
    );
    assert.ok(!uri.includes(pin));
  });

  test("unusable input exits 3: a missing file, a malformed ARN, a bad region, a config file that is not a file", async () => {
    await refused(["--profile", "d", ...ra({ "--certificate": join(f.dir, "missing.pem") })], 3, /--certificate \/\S+\/missing\.pem does not exist/);
    await refused(["--profile", "d", ...ra({ "--role-arn": "arn:aws:iam::123:role/r" })], 3, /--role-arn "arn:aws:iam::123:role\/r" is not a valid ARN/);
    await refused(["--profile", "d", "--region", "moon-1", ...ra()], 3, /--region "moon-1" is not an AWS region name/);
    const directory = join(f.dir, "config-dir");
    await mkdir(directory);
    const result = await runCli(["configure", "--profile", "d", ...ra()], { env: { HOME: f.home, AWS_CONFIG_FILE: directory } });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /^certcreds configure: the AWS config file \S+config-dir is not a regular file .*point AWS_CONFIG_FILE at a file\.\n$/);
  });

  test("--help prints the help page without writing anything", async () => {
    const help = await runCli(["configure", "--help"], { env: { HOME: f.home, AWS_CONFIG_FILE: config } });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^certcreds configure — write a credential_process profile/);
    assert.match(help.stdout, /Usage: certcreds configure --profile <name>/);
    assert.match(help.stdout, /--profile <name>\n\s+profile of the AWS config file to write/);
    assert.match(help.stdout, /--region <region>\n\s+the profile's region/);
    assert.equal(await readFile(config, "utf8"), ORIGINAL);
  });
});
