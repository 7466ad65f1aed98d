import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRolesAnywhereFixture, ROOT, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
});
after(() => f?.close());

describe("help, version, unknown input", () => {
  test("--version prints the package version", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${version}\n`);
    }
  });

  test("--help lists the commands and exit codes; no command is a usage error", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    for (const command of ["credential-process", "serve", "update", "sign-string", "read-certificate-data", "doctor", "cache clear", "demo"]) {
      assert.match(help.stdout, new RegExp(`\\n  ${command} `), command);
    }
    assert.match(help.stdout, /Exit codes: 0 ok, 1 failure .* 2 usage error, 3 configuration or input error/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, help.stdout);
  });

  test("every subcommand has --help with its flags, their variables and examples", async () => {
    for (const command of [["credential-process"], ["serve"], ["update"], ["sign-string"], ["read-certificate-data"], ["doctor"], ["cache", "clear"]]) {
      const result = await runCli([...command, "--help"]);
      assert.equal(result.code, 0, command.join(" "));
      assert.match(result.stdout, new RegExp(`Usage: certcreds ${command.join(" ")}`));
      assert.match(result.stdout, /Examples:\n {2}\S/);
      assert.match(result.stdout, /--debug\n.*\[CERTCREDS_DEBUG\]/);
    }
    assert.match((await runCli(["serve", "-h"])).stdout, /--hop-limit <1-255>/);
    assert.equal((await runCli(["help", "update"])).stdout, (await runCli(["update", "--help"])).stdout);
  });

  test("unknown commands and flags: exit 2 with the nearest valid one", async () => {
    const command = await runCli(["serv"]);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "serv"\. Did you mean "serve"\?/);
    const typo = await runCli(["credential-process", "--trust-anchor", "x"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown option --trust-anchor .* Did you mean --trust-anchor-arn\?/);
    const other = await runCli(["credential-process", "--hop-limit", "2"]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /It is an option of "certcreds serve"/);
    const noValue = await runCli(["credential-process", "--certificate"]);
    assert.equal(noValue.code, 2);
    assert.match(noValue.stderr, /--certificate needs a value/);
    const positional = await runCli(["credential-process", "cert.pem"]);
    assert.equal(positional.code, 2);
    assert.match(positional.stderr, /unexpected argument "cert\.pem"/);
    const notNumber = await runCli(["credential-process", ...f.args, "--session-duration", "an hour"]);
    assert.equal(notNumber.code, 2);
    assert.match(notNumber.stderr, /--session-duration must be a whole number/);
    const cache = await runCli(["cache"]);
    assert.equal(cache.code, 2);
    assert.match(cache.stderr, /certcreds cache clear/);
  });
});
