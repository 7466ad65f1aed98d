/**
 * The TPM flags of AWS's helper on certcreds' command line, against swtpm:
 * a TSS2 file or handle: as --private-key, --tpm-key-password,
 * --no-tpm-key-password, --tpm-device and TPM_DEVICE, from flags, the
 * environment and a config-file profile. No password in any output or file.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificateAuthority,
} from "../../../../testing/index.js";
import { parseProcessOutput, requireBuild, runCli } from "../../../helpers/cli.js";
import { assertNoSecrets } from "../../../helpers/log-capture.js";
import { startSwtpm, type Swtpm, swtpmUnavailable } from "../../../helpers/swtpm.js";

const unavailable = swtpmUnavailable();
const ROLE = "arn:aws:iam::123456789012:role/tpm-cli";
const PASSWORD = "cli-tpm-pw-λ-5521";

describe("CLI with TPM keys (swtpm)", { skip: unavailable }, () => {
  let tpm: Swtpm;
  let ca: TestCertificateAuthority;
  let ra: RolesAnywhereEmulator;
  let home: string;
  const files: Record<string, string> = {};
  const serials: Record<string, bigint> = {};

  before(async () => {
    await requireBuild();
    tpm = await startSwtpm();
    ca = await createTestCertificateAuthority({ commonName: "certcreds tpm cli CA" });
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
    home = join(tpm.dir, "home");
    await mkdir(home, { mode: 0o700 });
    const ec = await tpm.genpkey("ec-p256");
    const rsa = await tpm.persistentKey("rsa-2048", "0x81000030", { password: PASSWORD });
    const ecPw = await tpm.genpkey("ec-p384", { password: PASSWORD });
    for (const [name, publicKey, key] of [
      ["ec", ec.publicKey, ec.pem],
      ["rsa", rsa, undefined],
      ["ecpw", ecPw.publicKey, ecPw.pem],
    ] as const) {
      const issued = await ca.issue({ commonName: `cli-${name}`, publicKey });
      files[`${name}Cert`] = join(tpm.dir, `${name}-cert.pem`);
      await writeFile(files[`${name}Cert`]!, issued.certificatePem);
      serials[name] = issued.serialNumber;
      if (key) {
        files[`${name}Key`] = join(tpm.dir, `${name}-key.pem`);
        await writeFile(files[`${name}Key`]!, key);
      }
    }
  });
  after(async () => {
    await ra?.close();
    await tpm?.close();
  });

  const roleArgs = () => ["--trust-anchor-arn", ra.trustAnchorArn, "--profile-arn", ra.profileArn, "--role-arn", ROLE, "--endpoint", ra.url];
  const env = (extra: Record<string, string> = {}) => ({ HOME: home, ...extra });

  function assertSigned(stdout: string, algorithm: "RSA" | "ECDSA", serial: bigint): void {
    const out = parseProcessOutput(stdout);
    assert.ok(ra.issued.has(out.AccessKeyId), "the emulator verified the TPM's signature");
    assert.match(String(ra.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-${algorithm}-SHA256 Credential=${serial}/`));
  }

  test("credential-process: a TSS2 key file as --private-key, the TPM by --tpm-device or TPM_DEVICE", async () => {
    const byFlag = await runCli(
      ["credential-process", "--no-cache", "--certificate", files.ecCert!, "--private-key", files.ecKey!, "--tpm-device", tpm.device, ...roleArgs()],
      {
        env: env(),
      },
    );
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assertSigned(byFlag.stdout, "ECDSA", serials.ec!);
    const byAwsVariable = await runCli(["credential-process", "--no-cache", "--certificate", files.ecCert!, "--private-key", files.ecKey!, ...roleArgs()], {
      env: env({ TPM_DEVICE: tpm.device }),
    });
    assert.equal(byAwsVariable.code, 0, byAwsVariable.stderr);
    assertSigned(byAwsVariable.stdout, "ECDSA", serials.ec!);
  });

  test("credential-process: handle: with --tpm-key-password, CERTCREDS_TPM_KEY_PASSWORD, or a config-file profile; the cache holds no password", async () => {
    const args = ["credential-process", "--certificate", files.rsaCert!, "--private-key", "handle:0x81000030", ...roleArgs()];
    const byFlag = await runCli([...args, "--no-cache", "--tpm-key-password", PASSWORD, "--tpm-device", tpm.device], { env: env() });
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assertSigned(byFlag.stdout, "RSA", serials.rsa!);
    const byEnvironment = await runCli(args, { env: env({ CERTCREDS_TPM_KEY_PASSWORD: PASSWORD, CERTCREDS_TPM_DEVICE: tpm.device }) });
    assert.equal(byEnvironment.code, 0, byEnvironment.stderr);
    assertSigned(byEnvironment.stdout, "RSA", serials.rsa!);
    const config = join(tpm.dir, "config.ini");
    await writeFile(config, `[tpm]\nprivate-key = handle:0x81000030\ntpm-key-password = ${PASSWORD}\ntpm-device = ${tpm.device}\n`);
    const byProfile = await runCli(
      ["credential-process", "--no-cache", "--config-file", config, "--profile-name", "tpm", "--certificate", files.rsaCert!, ...roleArgs()],
      {
        env: env(),
      },
    );
    assert.equal(byProfile.code, 0, byProfile.stderr);
    assertSigned(byProfile.stdout, "RSA", serials.rsa!);
    const cached: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else cached.push(entry.name, await readFile(path, "utf8"));
      }
    };
    await walk(home);
    assert.ok(cached.length > 0, "credential-process wrote its cache under HOME");
    assertNoSecrets(cached, [PASSWORD]);
  });

  test("a password-protected TSS2 key: refused without its password, refused with a wrong one (once), used with the right one", async () => {
    const args = [
      "credential-process",
      "--no-cache",
      "--certificate",
      files.ecpwCert!,
      "--private-key",
      files.ecpwKey!,
      "--tpm-device",
      tpm.device,
      ...roleArgs(),
    ];
    const missing = await runCli(args, { env: env() });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /--private-key file .* has a password .*--tpm-key-password/);
    const wrong = "cli-wrong-pw-0001";
    const refused = await runCli([...args, "--tpm-key-password", wrong], { env: env() });
    assert.equal(refused.code, 3);
    assert.equal(refused.stderr.trim().split("\n").length, 1, "one line");
    assert.match(refused.stderr, /refused the password .*will not try it again.*dictionary-attack lockout/);
    assertNoSecrets([refused.stdout, refused.stderr], [wrong]);
    const right = await runCli([...args, "--tpm-key-password", PASSWORD], { env: env() });
    assert.equal(right.code, 0, right.stderr);
    assertSigned(right.stdout, "ECDSA", serials.ecpw!);
    assertNoSecrets([right.stderr], [PASSWORD]);
  });

  test("the TSS2 key on standard input with --tpm-device", async () => {
    const result = await runCli(
      ["credential-process", "--no-cache", "--certificate", files.ecCert!, "--private-key", "-", "--tpm-device", tpm.device, ...roleArgs()],
      {
        env: env(),
        input: await readFile(files.ecKey!),
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assertSigned(result.stdout, "ECDSA", serials.ec!);
  });

  test("--tpm-key-password with --no-tpm-key-password is a usage error; an empty handle says how to check it", async () => {
    const both = await runCli(
      [
        "credential-process",
        "--certificate",
        files.rsaCert!,
        "--private-key",
        "handle:0x81000030",
        "--tpm-key-password",
        PASSWORD,
        "--no-tpm-key-password",
        ...roleArgs(),
      ],
      { env: env() },
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--tpm-key-password and --no-tpm-key-password both say/);
    assertNoSecrets([both.stderr], [PASSWORD]);
    const empty = await runCli(
      [
        "credential-process",
        "--no-cache",
        "--certificate",
        files.rsaCert!,
        "--private-key",
        "handle:0x81000039",
        "--no-tpm-key-password",
        "--tpm-device",
        tpm.device,
        ...roleArgs(),
      ],
      { env: env() },
    );
    assert.equal(empty.code, 3);
    assert.match(empty.stderr, /No key at handle:0x81000039 .*tpm2_getcap handles-persistent/);
    const malformed = await runCli(["credential-process", "--certificate", files.rsaCert!, "--private-key", "handle:0x80000001", ...roleArgs()], {
      env: env(),
    });
    assert.equal(malformed.code, 3);
    assert.match(malformed.stderr, /not a persistent handle/);
  });

  test("doctor checks a TPM key like any other, then the call", async () => {
    const result = await runCli(["doctor", "--certificate", files.ecCert!, "--private-key", files.ecKey!, "--tpm-device", tpm.device, ...roleArgs()], {
      env: env(),
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const check of ["private key readable and parses", "key matches certificate", "CreateSession"])
      assert.match(result.stdout, new RegExp(`✔ ${check}: `), check);
  });

  test("IoT with a TSS2 key or handle: points at tpm2-pkcs11; sign-string points at tpm2_sign", async () => {
    const iot = await runCli(
      [
        "credential-process",
        "--certificate",
        files.ecCert!,
        "--private-key",
        files.ecKey!,
        "--role-alias",
        "alias",
        "--thing-name",
        "thing",
        "--endpoint",
        "c2abc.credentials.iot.us-east-1.amazonaws.com",
      ],
      { env: env() },
    );
    assert.equal(iot.code, 3);
    assert.match(iot.stderr, /tpm2-pkcs11.*tpm2_ptool/);
    for (const key of [files.ecKey!, "handle:0x81000030"]) {
      const signString = await runCli(["sign-string", "--private-key", key, "--string", "abc"], { env: env() });
      assert.equal(signString.code, 2, signString.stderr);
      assert.match(signString.stderr, /a TPM key signs with `tpm2_sign`/);
    }
  });
});
