/**
 * AWS's aws_signing_helper flags for the Windows and macOS certificate
 * stores: accepted by every command that takes them there, refused with exit
 * 2 and one line saying what to use instead — from the command line, the
 * environment or a config-file profile; never "unknown option".
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requireBuild, runCli } from "../../../helpers/cli.js";

const SELECTOR = 'Key=x509Subject,Value=CN=device "42"';
const COMMANDS = ["credential-process", "serve", "update", "configure", "sign-string", "doctor", "read-certificate-data"];

describe("--cert-selector, --system-store-name, --use-latest-expiring-certificate", () => {
  let dir: string;
  before(async () => {
    await requireBuild();
    dir = await mkdtemp(join(tmpdir(), "certcreds-cert-store-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  function assertRefused(result: { code: number | null; stdout: string; stderr: string }, named: string) {
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0]!.startsWith(`certcreds ${lines[0]!.split(" ")[1]!.replace(":", "")}: ${named}`), lines[0]);
    assert.ok(lines[0]!.includes(" selects a certificate in the Windows or macOS certificate store"), lines[0]);
    for (const alternative of ["--certificate, --private-key", "--certificate file.p12", "pkcs11:", "TPM 2.0"])
      assert.ok(lines[0]!.includes(alternative), alternative);
    assert.doesNotMatch(result.stderr, /unknown option/);
    assert.ok(!result.stderr.includes("x509Subject"), "the selector is not echoed");
  }

  for (const command of COMMANDS) {
    test(`${command}: each flag is accepted and refused`, async () => {
      const flags =
        command === "read-certificate-data"
          ? ["cert-selector", "system-store-name"]
          : ["cert-selector", "system-store-name", "use-latest-expiring-certificate"];
      for (const flag of flags) {
        const args = flag === "use-latest-expiring-certificate" ? [`--${flag}`] : [`--${flag}`, flag === "cert-selector" ? SELECTOR : "MY"];
        assertRefused(await runCli([command, ...args], { env: { HOME: dir } }), `--${flag}`);
      }
    });
  }

  test("from the environment and from a config-file profile, named as given", async () => {
    assertRefused(await runCli(["credential-process"], { env: { HOME: dir, CERTCREDS_CERT_SELECTOR: SELECTOR } }), "CERTCREDS_CERT_SELECTOR");
    const config = join(dir, "config");
    await writeFile(config, "[store]\nsystem-store-name = MY\n");
    assertRefused(
      await runCli(["credential-process", "--config-file", config, "--profile-name", "store"], { env: { HOME: dir } }),
      "system-store-name in profile [store]",
    );
  });

  test("--use-latest-expiring-certificate=false asks for nothing and is not refused", async () => {
    const result = await runCli(["credential-process", "--use-latest-expiring-certificate=false"], { env: { HOME: dir } });
    assert.equal(result.code, 2, "still a usage error: no mechanism or certificate given");
    assert.doesNotMatch(result.stderr, /certificate store/);
  });
});
