/**
 * The CLI with a PKCS#12 file as --certificate, as AWS's aws_signing_helper
 * takes it: credential-process for both mechanisms, the password from
 * --pkcs12-password, CERTCREDS_PKCS12_PASSWORD or a config-file profile,
 * doctor, and the errors — each one line, exit 3, never the password.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createIotFixture,
  createRolesAnywhereFixture,
  type IotFixture,
  parseProcessOutput,
  type RolesAnywhereFixture,
  requireBuild,
  runCli,
} from "../../../helpers/cli.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable } from "../../../helpers/pkcs12.js";

const PASSWORD = "cli p12 password";

describe("CLI with --certificate file.p12", { skip: opensslUnavailable() }, () => {
  let ra: RolesAnywhereFixture;
  let iotDir: string;
  let iot: IotFixture;
  let p12: string;
  let legacyP12: string;
  let emptyP12: string;

  before(async () => {
    await requireBuild();
    ra = await createRolesAnywhereFixture();
    const identity = { certificatePem: ra.device.certificatePem, keyPem: ra.device.privateKeyPem, chainPem: ra.issuing.certificatePem };
    p12 = await exportPkcs12(ra.dir, "device.p12", { ...identity, password: PASSWORD });
    // Named like a certificate: PKCS#12 is told by the content, not the extension.
    emptyP12 = await exportPkcs12(ra.dir, "device-empty.crt", identity);
    if (!opensslLegacyUnavailable()) legacyP12 = await exportPkcs12(ra.dir, "device-legacy.pfx", { ...identity, password: PASSWORD, legacy: true });
    iotDir = await mkdtemp(join(tmpdir(), "certcreds-p12-cli-iot-"));
    iot = await createIotFixture(iotDir, { keyType: "rsa-2048" });
  });
  after(async () => {
    await Promise.all([ra?.close(), iot?.close()]);
    await rm(iotDir, { recursive: true, force: true });
  });

  /** The fixture's Roles Anywhere flags with the certificate, key and chain flags replaced. */
  const raArgs = (certificate: string) => ["--certificate", certificate, ...ra.args.slice(6)];

  async function credentials(args: string[], env: Record<string, string> = {}) {
    const result = await runCli(["credential-process", "--no-cache", ...args], { env: { ...ra.env, ...env } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
    return parseProcessOutput(result.stdout);
  }

  test("credential-process (Roles Anywhere): --pkcs12-password, CERTCREDS_PKCS12_PASSWORD, a profile; an empty-password file without one", async () => {
    for (const answer of [
      await credentials([...raArgs(p12), "--pkcs12-password", PASSWORD]),
      await credentials(raArgs(p12), { CERTCREDS_PKCS12_PASSWORD: PASSWORD }),
      await credentials(raArgs(emptyP12)),
      await credentials([...raArgs(p12), "--pkcs12-password", PASSWORD, "--intermediates", ra.chainFile]),
    ]) {
      assert.ok(ra.ra.issued.has(answer.AccessKeyId));
    }
    const config = join(ra.dir, "certcreds-config");
    await writeFile(config, `[p12]\ncertificate = device.p12\npkcs12-password = ${PASSWORD}\n`, { mode: 0o600 });
    const fromProfile = await credentials([...ra.args.slice(6), "--config-file", config, "--profile-name", "p12"]);
    assert.ok(ra.ra.issued.has(fromProfile.AccessKeyId));
    assert.equal(ra.ra.requests.at(-1)!.headers["x-amz-x509-chain"], ra.issuing.certificateDer.toString("base64"), "the file's intermediate sent");
  });

  test("credential-process with a -legacy .pfx (3DES, RC2-40, SHA-1 MAC)", { skip: opensslLegacyUnavailable() }, async () => {
    assert.ok(ra.ra.issued.has((await credentials(raArgs(legacyP12), { CERTCREDS_PKCS12_PASSWORD: PASSWORD })).AccessKeyId));
  });

  test("credential-process (IoT, mutual TLS): the key and certificate from the file", async () => {
    const file = await exportPkcs12(iotDir, "thing.p12", {
      certificatePem: (await import("node:fs")).readFileSync(iot.certFile, "utf8"),
      keyPem: (await import("node:fs")).readFileSync(iot.keyFile, "utf8"),
      password: PASSWORD,
    });
    const args = ["--certificate", file, ...iot.args.slice(4)];
    const result = await runCli(["credential-process", "--no-cache", ...args], { env: { ...ra.env, CERTCREDS_PKCS12_PASSWORD: PASSWORD } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(iot.iot.issued.has(parseProcessOutput(result.stdout).AccessKeyId));
  });

  test("a wrong or missing password: exit 3, one line naming --pkcs12-password, the password never shown", async () => {
    const wrong = "wrong-p12-password-9931";
    for (const [args, env, pattern] of [
      [[...raArgs(p12), "--pkcs12-password", wrong], {}, /does not open: its integrity check \(MAC\) fails/],
      [raArgs(p12), { CERTCREDS_PKCS12_PASSWORD: wrong }, /does not open/],
      [raArgs(p12), {}, /password-protected PKCS#12 file: pass its password with .*--pkcs12-password/],
    ] as const) {
      const result = await runCli(["credential-process", "--no-cache", ...args], { env: { ...ra.env, ...env } });
      assert.equal(result.code, 3, result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /--certificate file .*device\.p12/);
      assert.match(result.stderr, pattern);
      assert.match(result.stderr, /--pkcs12-password/);
      assert.ok(!result.stderr.includes(wrong) && !result.stderr.includes(PASSWORD));
    }
    // An unquoted password of two words: the stray word is not echoed.
    const split = await runCli(["credential-process", ...raArgs(p12), "--pkcs12-password", "cli", "p12-secret-word"], { env: ra.env });
    assert.equal(split.code, 2);
    assert.match(split.stderr, /after --pkcs12-password \(not shown/);
    assert.ok(!split.stderr.includes("p12-secret-word"));
  });

  test("--pkcs12-password and --pkcs8-password both set to different values: exit 3, naming both", async () => {
    const result = await runCli(["credential-process", "--no-cache", ...raArgs(p12), "--pkcs12-password", PASSWORD, "--pkcs8-password", "other"], {
      env: ra.env,
    });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /--pkcs12-password and --pkcs8-password .* are both set, to different values/);
    // The same value twice is one passphrase.
    assert.ok(ra.ra.issued.has((await credentials([...raArgs(p12), "--pkcs12-password", PASSWORD, "--pkcs8-password", PASSWORD])).AccessKeyId));
  });

  test("doctor passes every check on a PKCS#12 file; configure refuses to write its password into the AWS config", async () => {
    const doctor = await runCli(["doctor", ...raArgs(p12)], { env: { ...ra.env, CERTCREDS_PKCS12_PASSWORD: PASSWORD } });
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(
      doctor.stdout,
      /✔ certificate readable and parses: --certificate file .*device\.p12 \(PKCS#12\)|✔ certificate readable and parses: certificate file .*device\.p12 \(PKCS#12\)/,
    );
    assert.match(doctor.stdout, /✔ private key readable and parses: private key in .*device\.p12/);
    assert.match(doctor.stdout, /✔ certificate chain order: 1 intermediate/);
    const configure = await runCli(["configure", ...raArgs(p12), "--pkcs12-password", PASSWORD, "--profile", "p12"], {
      env: { ...ra.env, AWS_CONFIG_FILE: join(ra.dir, "aws-config") },
    });
    assert.equal(configure.code, 2);
    assert.match(configure.stderr, /--pkcs12-password would write a secret into the AWS config file/);
    assert.ok(!configure.stderr.includes(PASSWORD));
  });

  test("--help of credential-process lists --pkcs12-password and the PKCS#12 form of --certificate", async () => {
    const help = await runCli(["credential-process", "--help"]);
    assert.match(help.stdout, /--pkcs12-password <password>\n\s+password of a PKCS#12 --certificate/);
    assert.match(help.stdout, /\[CERTCREDS_PKCS12_PASSWORD\]/);
    assert.match(help.stdout, /PKCS#12 \.p12\/\.pfx/);
  });
});
