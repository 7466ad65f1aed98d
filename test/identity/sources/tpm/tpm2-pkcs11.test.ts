/**
 * A TPM key through tpm2-pkcs11 (Debian libtpm2-pkcs11-1), provisioned with
 * tpm2_ptool on swtpm as /work/tools/tpm-docs.md tells users to: the AWS IoT
 * credential provider over mutual TLS signed by the TPM (the PKCS#11 source
 * and aws-crt), and IAM Roles Anywhere both ways — the same key as a
 * pkcs11: token key and exported as a TSS2 key file.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession, RolesAnywhereSession, type RolesAnywhereSessionInit } from "../../../../src/index.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type RolesAnywhereEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
} from "../../../../testing/index.js";
import { createServerPki, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../../helpers/iot-fixture.js";
import { assertNoSecrets, CapturingLogger } from "../../../helpers/log-capture.js";
import { startSwtpm, type Swtpm, TPM2_PKCS11_PATHS, tpm2Pkcs11Unavailable } from "../../../helpers/swtpm.js";

const unavailable = tpm2Pkcs11Unavailable();
const TOKEN = "device";
const USER_PIN = "tpm-user-pin-8812";
const SO_PIN = "tpm-so-pin-1197";
const RA_ROLE = "arn:aws:iam::123456789012:role/tpm2-pkcs11";

describe("a TPM key through tpm2-pkcs11 (swtpm)", { skip: unavailable }, () => {
  let tpm: Swtpm;
  let library: string;
  let server: ServerPki;
  let iot: IotCredentialEmulator;
  let ra: RolesAnywhereEmulator;
  const things: Record<"ec" | "rsa", TestCertificate> = {} as never;
  let exported: { path: string; password: string };
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    tpm = await startSwtpm();
    library = TPM2_PKCS11_PATHS.find((path) => existsSync(path))!;
    const store = join(tpm.dir, "tpm2-pkcs11");
    await mkdir(store);
    // tpm2-pkcs11 is loaded into this process: it reads its store and TPM from the environment at C_Initialize.
    const env = { TPM2_PKCS11_STORE: store, TPM2_PKCS11_TCTI: tpm.proxy.tcti, TPM2_PKCS11_LOG_LEVEL: "0", TSS2_LOG: "all+none" };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    const ptool = (...args: string[]) => tpm.tool("tpm2_ptool", [...args, "--path", store], env);
    await ptool("init");
    await ptool("addtoken", "--pid=1", `--label=${TOKEN}`, `--userpin=${USER_PIN}`, `--sopin=${SO_PIN}`);
    const deviceCa = await createTestCertificateAuthority({ commonName: "certcreds tpm2-pkcs11 device CA" });
    for (const [name, algorithm] of [
      ["ec", "ecc256"],
      ["rsa", "rsa2048"],
    ] as const) {
      await ptool("addkey", `--label=${TOKEN}`, `--key-label=thing-${name}`, `--userpin=${USER_PIN}`, `--algorithm=${algorithm}`);
      // The public key, as the TPM holds it: exported by tpm2_ptool, read by openssl.
      const prefix = join(tpm.dir, `thing-${name}`);
      const out = await ptool("export", `--label=${TOKEN}`, `--key-label=thing-${name}`, `--userpin=${USER_PIN}`, "--format=pem", "--output-prefix", prefix);
      const password = /object-auth: (\S+)/.exec(out)![1]!;
      const publicPem = await tpm.tool("openssl", [
        "pkey",
        "-provider",
        "tpm2",
        "-provider",
        "default",
        "-in",
        `${prefix}.pem`,
        "-passin",
        `pass:${password}`,
        "-pubout",
      ]);
      const { createPublicKey } = await import("node:crypto");
      things[name] = await deviceCa.issue({ commonName: THING, publicKey: createPublicKey(publicPem), extendedKeyUsage: ["clientAuth"] });
      if (name === "ec") {
        exported = { path: `${prefix}.pem`, password };
        const certFile = join(tpm.dir, "thing-ec-cert.pem");
        await writeFile(certFile, things.ec.certificatePem);
        await ptool("addcert", `--label=${TOKEN}`, "--key-label=thing-ec", certFile);
      }
    }
    server = await createServerPki();
    iot = await startIotCredentialEmulator({
      serverCertificate: { cert: server.cert, key: server.key },
      registeredCas: [deviceCa.certificatePem],
      things: [{ name: THING, certificates: [things.ec.certificatePem, things.rsa.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [deviceCa.certificatePem] }], profiles: [{ roleArns: [RA_ROLE] }] });
  });
  after(async () => {
    await iot?.close();
    await ra?.close();
    await tpm?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  function raInit(extra: Partial<RolesAnywhereSessionInit>): RolesAnywhereSessionInit {
    return { trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: RA_ROLE, endpoint: ra.url, ...extra } as RolesAnywhereSessionInit;
  }

  test("Roles Anywhere with the same TPM key, both ways: the TSS2 key file tpm2_ptool exports, and a pkcs11: URI into tpm2-pkcs11", async () => {
    // First, while tpm2-pkcs11 holds no object: without a resource manager it keeps the keys it used loaded for the life of the module.
    const viaFile = new RolesAnywhereSession(
      raInit({ certificate: things.ec.certificatePem, privateKey: exported.path, tpm: { device: tpm.device, keyPassword: exported.password } }),
    );
    try {
      const credentials = await viaFile.getCredentials();
      assert.ok(ra.issued.has(credentials.accessKeyId));
      assert.match(String(ra.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-ECDSA-SHA256 Credential=${things.ec.serialNumber}/`));
    } finally {
      await viaFile.close();
    }
    assert.match(await readFile(exported.path, "utf8"), /^-----BEGIN TSS2 PRIVATE KEY-----/);
    const viaToken = new RolesAnywhereSession(
      raInit({ certificate: `pkcs11:token=${TOKEN};object=thing-ec;type=cert?module-path=${encodeURIComponent(library)}&pin-value=${USER_PIN}` }),
    );
    try {
      const credentials = await viaToken.getCredentials();
      assert.ok(ra.issued.has(credentials.accessKeyId));
      assert.match(String(ra.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-ECDSA-SHA256 Credential=${things.ec.serialNumber}/`));
    } finally {
      await viaToken.close();
    }
  });

  for (const keyType of ["ec", "rsa"] as const) {
    test(`IoT over mutual TLS signed in the TPM (${keyType === "ec" ? "EC P-256, certificate from the token" : "RSA-2048, certificate from a file"})`, async () => {
      const logger = new CapturingLogger();
      const session = new IotCredentialSession({
        endpoint: iot.url,
        roleAlias: ROLE_ALIAS,
        thingName: THING,
        ca: server.ca.certificatePem,
        ...(keyType === "ec" ? {} : { certificate: things.rsa.certificatePem }),
        pkcs11: { library, userPin: USER_PIN, tokenLabel: TOKEN, privateKeyLabel: `thing-${keyType}` },
        logger,
      });
      try {
        const first = await session.getCredentials();
        const second = await session.getCredentials({ forceRefresh: true });
        assert.notEqual(first.accessKeyId, second.accessKeyId);
        for (const credentials of [first, second]) assert.ok(iot.issued.has(credentials.accessKeyId));
        assert.equal(iot.requests.at(-1)!.clientCertificateId, things[keyType].certificate.fingerprint256.replace(/:/g, "").toLowerCase());
        assertNoSecrets(logger.lines, [USER_PIN, second.secretAccessKey]);
      } finally {
        await session.close();
      }
    });
  }
});
