import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestCertificateAuthority, type RolesAnywhereEmulator, startRolesAnywhereEmulator, type TestCertificate } from "../../../../testing/index.js";
import { http, parseProcessOutput, requireBuild, runCli, type Served, startServe } from "../../../helpers/cli.js";
import { assertNoSecrets } from "../../../helpers/log-capture.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "../../../helpers/softhsm.js";

const unavailable = softHsmUnavailable();
const TOKEN = "cli-token";
const PIN = "cli-pin-6172";
const ROLE = "arn:aws:iam::123456789012:role/cli-role";

describe("CLI credential-process and serve with PKCS#11 URIs (SoftHSM2)", { skip: unavailable }, () => {
  let hsm: SoftHsm;
  let ra: RolesAnywhereEmulator;
  let home: string;
  let rsaCertFile: string;
  let ecCert: TestCertificate;
  let rsaCert: TestCertificate;

  before(async () => {
    await requireBuild();
    hsm = await createSoftHsm([{ label: TOKEN, pin: PIN }]);
    const ca = await createTestCertificateAuthority({ commonName: "CLI pkcs11 test CA" });
    ecCert = await ca.issue({ commonName: "cli-ec", publicKey: await hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "ec-key" }) });
    await hsm.writeCertificate(TOKEN, ecCert.certificateDer, { id: "01", label: "ec-key" });
    rsaCert = await ca.issue({
      commonName: "cli-rsa",
      publicKey: await hsm.generateKey(TOKEN, "rsa-2048", { id: "02", label: "rsa-key", alwaysAuthenticate: true }),
    });
    rsaCertFile = join(hsm.dir, "rsa.pem");
    await writeFile(rsaCertFile, rsaCert.certificatePem);
    home = join(hsm.dir, "home");
    await mkdir(home, { mode: 0o700 });
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
  });
  after(async () => {
    await ra?.close();
    await hsm?.close();
  });

  const roleArgs = () => ["--trust-anchor-arn", ra.trustAnchorArn, "--profile-arn", ra.profileArn, "--role-arn", ROLE, "--endpoint", ra.url];
  const env = (extra: Record<string, string> = {}) => ({ HOME: home, SOFTHSM2_CONF: hsm.conf, ...extra });

  test("doctor runs the key source's own checks on a token key: certificate, key, key match, validity, chain, then the call", async () => {
    const uri = `pkcs11:token=${TOKEN};object=ec-key?pin-value=${PIN}`;
    const result = await runCli(["doctor", "--certificate", uri, "--pkcs11-lib", hsm.library, ...roleArgs()], { env: env() });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const check of [
      "certificate readable and parses",
      "private key readable and parses",
      "key type supported",
      "key matches certificate",
      "certificate validity",
      "certificate chain order",
      "CreateSession",
    ]) {
      assert.match(result.stdout, new RegExp(`✔ ${check}: `), check);
    }
    assert.match(result.stdout, /✔ certificate readable and parses: certificate on the PKCS#11 token: "CN=cli-ec"/);
    assert.doesNotMatch(result.stdout, /held on a PKCS#11 token/);
    const wrongPin = await runCli(["doctor", "--certificate", uri.replace(PIN, "0000"), "--pkcs11-lib", hsm.library, ...roleArgs()], { env: env() });
    assert.equal(wrongPin.code, 1);
    assert.match(wrongPin.stdout, /✘ certificate readable and parses: .*PIN/);
    assertNoSecrets([result.stdout, result.stderr, wrongPin.stdout, wrongPin.stderr], [PIN]);
  });

  test("credential-process: certificate and key by URI on the token, --pkcs11-lib, PIN in the URI", async () => {
    const result = await runCli(
      ["credential-process", "--no-cache", "--certificate", `pkcs11:token=${TOKEN};object=ec-key?pin-value=${PIN}`, "--pkcs11-lib", hsm.library, ...roleArgs()],
      { env: env() },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = parseProcessOutput(result.stdout);
    assert.ok(ra.issued.has(out.AccessKeyId), "the emulator verified the token's signature");
    assert.match(String(ra.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-ECDSA-SHA256 Credential=${ecCert.serialNumber}/`));
    assertNoSecrets([result.stdout.replace(out.SecretAccessKey, "").replace(out.SessionToken, ""), result.stderr], [PIN]);
  });

  test("credential-process: an always-authenticate RSA key with --reuse-pin, PIN from CERTCREDS_PKCS11_PIN, module-path in the URI", async () => {
    const result = await runCli(
      [
        "credential-process",
        "--no-cache",
        "--certificate",
        rsaCertFile,
        "--private-key",
        `pkcs11:token=${TOKEN};id=%02;type=private?module-path=${hsm.library}`,
        "--reuse-pin",
        ...roleArgs(),
      ],
      { env: env({ CERTCREDS_PKCS11_PIN: PIN }) },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = parseProcessOutput(result.stdout);
    assert.ok(ra.issued.has(out.AccessKeyId));
    assert.match(String(ra.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-RSA-SHA256 Credential=${rsaCert.serialNumber}/`));
  });

  test("credential-process: a wrong PIN fails once, names the input and never shows the PIN", async () => {
    const wrong = "cli-wrong-0000";
    const result = await runCli(
      [
        "credential-process",
        "--no-cache",
        "--certificate",
        `pkcs11:token=${TOKEN};object=ec-key?pin-value=${wrong}`,
        "--pkcs11-lib",
        hsm.library,
        ...roleArgs(),
      ],
      {
        env: env(),
      },
    );
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /rejected the PIN from pin-value in certificate \(CKR_PIN_INCORRECT\).*lock/);
    assertNoSecrets([result.stderr], [wrong]);
  });

  test("serve: the container endpoint serves credentials signed on the token, refreshed on the same session", async () => {
    let served: Served | undefined;
    try {
      served = await startServe(
        [
          "--certificate",
          `pkcs11:token=${TOKEN};object=ec-key`,
          "--private-key",
          `pkcs11:token=${TOKEN};object=ec-key;type=private`,
          "--pkcs11-lib",
          hsm.library,
          ...roleArgs(),
        ],
        { env: env({ CERTCREDS_PKCS11_PIN: PIN }) },
      );
      const token = (await readFile(served.tokenFile, "utf8")).trim();
      const answer = await http(served.containerUri, { headers: { Authorization: token } });
      assert.equal(answer.status, 200, answer.body);
      const body = JSON.parse(answer.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
      assert.ok(ra.issued.has(body.AccessKeyId), "credentials issued by the emulator");
      assertNoSecrets([served.cli.stdout(), served.cli.stderr()], [PIN, body.SecretAccessKey, body.Token]);
    } finally {
      await served?.cli.stop();
    }
  });
});
