/**
 * IAM Roles Anywhere with keys in a real software TPM (swtpm, no resource
 * manager): TSS2 key files from tpm2-openssl and persistent keys from
 * tpm2-tools, RSA and ECC, with and without a password, under the owner
 * hierarchy and under a persistent parent; certificates issued by the test
 * CA for the TPM's public keys; the emulator verifies every signature.
 */
import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RolesAnywhereSession, type RolesAnywhereSessionInit } from "../../../../src/index.js";
import { TpmSource } from "../../../../src/identity/sources/tpm/source.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificateAuthority,
} from "../../../../testing/index.js";
import { assertNoSecrets, CapturingLogger } from "../../../helpers/log-capture.js";
import { startSwtpm, type Swtpm, swtpmUnavailable, type TpmKeyType } from "../../../helpers/swtpm.js";

const unavailable = swtpmUnavailable();
const ROLE = "arn:aws:iam::123456789012:role/tpm-device";
const PASSWORD = "tpm-pw-π-7731";

describe("IAM Roles Anywhere with TPM 2.0 keys on swtpm", { skip: unavailable }, () => {
  let tpm: Swtpm;
  let ca: TestCertificateAuthority;
  let emulator: RolesAnywhereEmulator;

  before(async () => {
    tpm = await startSwtpm();
    ca = await createTestCertificateAuthority({ commonName: "certcreds tpm test CA" });
    emulator = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
  });
  after(async () => {
    await emulator?.close();
    await tpm?.close();
  });

  async function certificateFile(publicKey: KeyObject, name: string): Promise<{ path: string; serial: bigint }> {
    const issued = await ca.issue({ commonName: name, publicKey });
    const path = join(tpm.dir, `${name}.pem`);
    await writeFile(path, issued.certificatePem);
    return { path, serial: issued.serialNumber };
  }

  function init(extra: Partial<RolesAnywhereSessionInit>): RolesAnywhereSessionInit {
    return {
      trustAnchorArn: emulator.trustAnchorArn,
      profileArn: emulator.profileArn,
      roleArn: ROLE,
      endpoint: emulator.url,
      ...extra,
    } as RolesAnywhereSessionInit;
  }

  async function fetchTwice(sessionInit: RolesAnywhereSessionInit, algorithm: "RSA" | "ECDSA", serial: bigint): Promise<void> {
    const logger = new CapturingLogger();
    const session = new RolesAnywhereSession({ ...sessionInit, logger } as RolesAnywhereSessionInit);
    try {
      const first = await session.getCredentials();
      const second = await session.getCredentials({ forceRefresh: true });
      assert.notEqual(first.accessKeyId, second.accessKeyId);
      for (const credentials of [first, second]) assert.ok(emulator.issued.has(credentials.accessKeyId), "the emulator verified the TPM's signature");
      assert.match(String(emulator.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-${algorithm}-SHA256 Credential=${serial}/`));
      assertNoSecrets(logger.lines, [PASSWORD, second.secretAccessKey]);
    } finally {
      await session.close();
    }
    assert.deepEqual(await tpm.transientHandles(), [], "nothing left loaded in the TPM");
  }

  for (const type of ["ec-p256", "ec-p384", "rsa-2048"] as const satisfies TpmKeyType[]) {
    test(`${type} TSS2 key file (tpm2-openssl) under the owner hierarchy, certificate from a file`, async () => {
      const key = await tpm.genpkey(type);
      const cert = await certificateFile(key.publicKey, `file-${type}`);
      await fetchTwice(init({ certificate: cert.path, privateKey: key.path, tpm: { device: tpm.device } }), type === "rsa-2048" ? "RSA" : "ECDSA", cert.serial);
    });
  }

  test("TSS2 keys with a password (RSA and ECC), given as PEM text and as a file", async () => {
    for (const type of ["ec-p256", "rsa-2048"] as const) {
      const key = await tpm.genpkey(type, { password: PASSWORD });
      const cert = await certificateFile(key.publicKey, `password-${type}`);
      const algorithm = type === "rsa-2048" ? "RSA" : "ECDSA";
      await fetchTwice(init({ certificate: cert.path, privateKey: key.pem, tpm: { device: tpm.device, keyPassword: PASSWORD } }), algorithm, cert.serial);
      await fetchTwice(init({ certificate: cert.path, privateKey: key.path, tpm: { device: tpm.device, keyPassword: PASSWORD } }), algorithm, cert.serial);
    }
  });

  test("a TSS2 key under a persistent parent (0x81000001)", async () => {
    await tpm.persistentPrimary("0x81000001");
    const key = await tpm.genpkey("ec-p256", { parent: "0x81000001" });
    const cert = await certificateFile(key.publicKey, "persistent-parent");
    await fetchTwice(init({ certificate: cert.path, privateKey: key.path, tpm: { device: tpm.device } }), "ECDSA", cert.serial);
  });

  test("persistent keys handle:0x81…, RSA with a password and ECC without (--no-tpm-key-password)", async () => {
    const rsa = await tpm.persistentKey("rsa-2048", "0x81000010", { password: PASSWORD });
    const rsaCert = await certificateFile(rsa, "handle-rsa");
    await fetchTwice(
      init({ certificate: rsaCert.path, privateKey: "handle:0x81000010", tpm: { device: tpm.device, keyPassword: PASSWORD } }),
      "RSA",
      rsaCert.serial,
    );
    const ec = await tpm.persistentKey("ec-p256", "0x81000011");
    const ecCert = await certificateFile(ec, "handle-ec");
    await fetchTwice(init({ certificate: ecCert.path, privateKey: "handle:81000011", tpm: { device: tpm.device, keyPassword: "" } }), "ECDSA", ecCert.serial);
  });

  test("the TPM from TPM_DEVICE when tpm.device is not given", async () => {
    const key = await tpm.genpkey("ec-p256");
    const cert = await certificateFile(key.publicKey, "tpm-device-env");
    const saved = process.env.TPM_DEVICE;
    process.env.TPM_DEVICE = tpm.device;
    try {
      await fetchTwice(init({ certificate: cert.path, privateKey: key.path }), "ECDSA", cert.serial);
    } finally {
      if (saved === undefined) delete process.env.TPM_DEVICE;
      else process.env.TPM_DEVICE = saved;
    }
  });

  test("30 refreshes in a row without a resource manager: load, sign, flush each time; nothing left loaded", async () => {
    const key = await tpm.genpkey("ec-p256", { password: PASSWORD });
    const cert = await certificateFile(key.publicKey, "thirty");
    const session = new RolesAnywhereSession(init({ certificate: cert.path, privateKey: key.path, tpm: { device: tpm.device, keyPassword: PASSWORD } }));
    try {
      for (let i = 0; i < 30; i++) {
        const credentials = await session.getCredentials({ forceRefresh: true });
        assert.ok(emulator.issued.has(credentials.accessKeyId), `refresh ${i + 1}`);
      }
      assert.deepEqual(await tpm.transientHandles(), [], "every object loaded was flushed");
    } finally {
      await session.close();
    }
  });

  test("30 refreshes with the key kept loaded (keepLoaded): one load, checked by name, flushed at close", async () => {
    const key = await tpm.genpkey("rsa-2048");
    const cert = await certificateFile(key.publicKey, "kept");
    const source = new TpmSource({ certificate: cert.path, privateKey: key.path, tpm: { device: tpm.device, keepLoaded: true } });
    try {
      const data = Buffer.from("AWS4-X509-RSA-SHA256\n20260101T000000Z\nscope\nhash");
      for (let i = 0; i < 30; i++) {
        const found = await source.key(undefined as never, { blocks: [], label: "" });
        const { verify } = await import("node:crypto");
        assert.ok(verify("sha256", data, key.publicKey, Buffer.from(await found.signer.sign(data))), `signature ${i + 1}`);
      }
      assert.equal(source.currentKey!.stats.loads, 1, "loaded once");
      assert.equal((await tpm.transientHandles()).length, 1, "the kept key holds one slot");
    } finally {
      await source.close();
    }
    assert.deepEqual(await tpm.transientHandles(), [], "flushed at close");
  });

  test("a kept key flushed by another program, or its slot taken by another key, is loaded again (never signs with a stranger)", async () => {
    const mine = await tpm.genpkey("ec-p256");
    const other = await tpm.genpkey("ec-p256");
    const source = new TpmSource({ privateKey: mine.path, tpm: { device: tpm.device, keepLoaded: true } });
    const stranger = new TpmSource({ privateKey: other.path, tpm: { device: tpm.device, keepLoaded: true } });
    const { verify } = await import("node:crypto");
    const data = Buffer.from("string to sign");
    try {
      const signer = (await source.key(undefined as never, { blocks: [], label: "" })).signer;
      assert.ok(verify("sha256", data, mine.publicKey, Buffer.from(await signer.sign(data))));
      const myHandle = source.currentKey!.keptHandle;
      await tpm.tool("tpm2_flushcontext", ["-t"]);
      // The other key now sits where mine was (the TPM hands out the lowest free handle).
      await (await stranger.key(undefined as never, { blocks: [], label: "" })).signer.sign(data);
      assert.equal(stranger.currentKey!.keptHandle, myHandle, "the other key took my key's handle");
      assert.ok(verify("sha256", data, mine.publicKey, Buffer.from(await signer.sign(data))), "signed with my key after reloading it");
      assert.equal(source.currentKey!.stats.loads, 2);
      await tpm.tool("tpm2_flushcontext", ["-t"]);
      assert.ok(verify("sha256", data, mine.publicKey, Buffer.from(await signer.sign(data))), "and after a flush of everything");
    } finally {
      await source.close();
      await stranger.close();
    }
    assert.deepEqual(await tpm.transientHandles(), []);
  });

  test("a key file renewed on disk (new TPM key, new certificate) is used at the next refresh", async () => {
    const first = await tpm.genpkey("ec-p256");
    const second = await tpm.genpkey("rsa-2048");
    const keyPath = join(tpm.dir, "renewed-key.pem");
    const certPath = join(tpm.dir, "renewed-cert.pem");
    const firstCert = await ca.issue({ commonName: "renewed-1", publicKey: first.publicKey });
    await writeFile(keyPath, first.pem);
    await writeFile(certPath, firstCert.certificatePem);
    const session = new RolesAnywhereSession(init({ certificate: certPath, privateKey: keyPath, tpm: { device: tpm.device } }));
    try {
      await session.getCredentials();
      assert.match(String(emulator.requests.at(-1)!.headers.authorization), /^AWS4-X509-ECDSA-SHA256 /);
      const secondCert = await ca.issue({ commonName: "renewed-2", publicKey: second.publicKey });
      await writeFile(keyPath, second.pem);
      await writeFile(certPath, secondCert.certificatePem);
      await session.getCredentials({ forceRefresh: true });
      assert.match(String(emulator.requests.at(-1)!.headers.authorization), new RegExp(`^AWS4-X509-RSA-SHA256 Credential=${secondCert.serialNumber}/`));
    } finally {
      await session.close();
    }
  });

  test("a TSS2 key in the certificate's own PEM file", async () => {
    const key = await tpm.genpkey("ec-p256");
    const issued = await ca.issue({ commonName: "one-file", publicKey: key.publicKey });
    const path = join(tpm.dir, "cert-and-key.pem");
    await writeFile(path, issued.certificatePem + key.pem);
    await fetchTwice(init({ certificate: path, tpm: { device: tpm.device } }), "ECDSA", issued.serialNumber);
  });
});
