/**
 * The quoting of a credential_process value, checked against the two
 * readers that matter: Python's shlex.split (botocore, hence the AWS CLI and
 * boto3) and /bin/sh (the AWS SDK for JavaScript and others run the value
 * with `sh -c`).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { credentialProcessValue, shellQuote } from "../../../src/cli/aws-config/credential-process-command.js";
import { which } from "../../helpers/cli.js";

const TRICKY = [
  "/usr/bin/node",
  "/opt/my tools/node",
  "/home/o'brien/certcreds/bin/certcreds.js",
  'a "double" quote',
  "$HOME and `date` and $(id)",
  "back\\slash",
  "tab\there",
  "glob*?[x]",
  "semi;colon&amp|pipe>redirect",
  "ünïcode path/ключ.pem",
  "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0b6f2a3c",
  "env:DEVICE_KEY",
  "",
  "--flag=value with space",
];

const python = which("python3");

describe("shellQuote: what shlex and sh read back is the argument", () => {
  test("safe arguments stay as they are; others are single-quoted", () => {
    assert.equal(shellQuote("/usr/bin/node"), "/usr/bin/node");
    assert.equal(shellQuote("arn:aws:iam::123456789012:role/r"), "arn:aws:iam::123456789012:role/r");
    assert.equal(shellQuote("/opt/my tools/node"), "'/opt/my tools/node'");
    assert.equal(shellQuote("o'brien"), `'o'"'"'brien'`);
    assert.equal(shellQuote(""), "''");
  });

  test("python3 shlex.split (botocore's compat_shell_split on POSIX) reads every argument back", { skip: python ? false : "python3 is not installed" }, () => {
    const line = TRICKY.map(shellQuote).join(" ");
    const out = execFileSync(python!, ["-c", "import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))", line], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), TRICKY);
  });

  test("/bin/sh -c reads every argument back, running nothing", () => {
    const line = TRICKY.map(shellQuote).join(" ");
    const out = execFileSync("/bin/sh", ["-c", `node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' ${line}`], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), TRICKY);
  });
});

describe("credentialProcessValue", () => {
  const command = ["/opt/node dir/node", "/srv/certcreds/bin/certcreds.js"];

  test("the command, credential-process and the arguments, each quoted as needed", () => {
    assert.equal(
      credentialProcessValue(["--certificate", "/a b/device.pem", "--role-arn", "arn:aws:iam::123456789012:role/r"], command),
      "'/opt/node dir/node' /srv/certcreds/bin/certcreds.js credential-process --certificate '/a b/device.pem' --role-arn arn:aws:iam::123456789012:role/r",
    );
  });

  test('" #" and " ;" are refused: the SDK for JavaScript reads them as a comment in the config file', () => {
    for (const path of ["/a/x #1.pem", "/a/x ;1.pem"]) {
      assert.throws(() => credentialProcessValue(["--certificate", path], command), { name: "CliConfigurationError", message: /start of a comment/ });
    }
    assert.doesNotThrow(() => credentialProcessValue(["--certificate", "/a/x#1.pem"], command));
  });

  test("a line break or another control character is refused", () => {
    for (const path of ["/a/x\n[profile evil]", "/a/\u0007"]) {
      assert.throws(() => credentialProcessValue(["--certificate", path], command), { name: "CliConfigurationError", message: /control character/ });
    }
  });
});
