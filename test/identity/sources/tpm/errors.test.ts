/**
 * Every way a TPM key fails, on a real swtpm: each a TpmError of its own
 * kind, one line, naming the fix, never holding the password — and a wrong
 * password never sent twice (the dictionary-attack counter proves it).
 */
import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  ConfigurationError,
  IotCredentialSession,
  RolesAnywhereSession,
  type RolesAnywhereSessionInit,
  TpmError,
  type TpmErrorKind,
} from "../../../../src/index.js";
import { TpmSource } from "../../../../src/identity/sources/tpm/source.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificateAuthority,
} from "../../../../testing/index.js";
import { startSwtpm, type Swtpm, swtpmUnavailable } from "../../../helpers/swtpm.js";
import { tss2Pem } from "../../../helpers/tss2.js";

const unavailable = swtpmUnavailable();
const ROLE = "arn:aws:iam::123456789012:role/tpm-errors";
const PASSWORD = "right-pw-ψ-4410";
const WRONG = "wrong-pw-ω-0917";
const SIGN_ONLY = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign";

describe("TPM key errors on swtpm", { skip: unavailable }, () => {
  let tpm: Swtpm;
  let ca: TestCertificateAuthority;
  let emulator: RolesAnywhereEmulator;

  before(async () => {
    tpm = await startSwtpm();
    ca = await createTestCertificateAuthority({ commonName: "certcreds tpm errors CA" });
    emulator = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
  });
  after(async () => {
    await emulator?.close();
    await tpm?.close();
  });

  function session(extra: Partial<RolesAnywhereSessionInit>): RolesAnywhereSession {
    return new RolesAnywhereSession({
      trustAnchorArn: emulator.trustAnchorArn,
      profileArn: emulator.profileArn,
      roleArn: ROLE,
      endpoint: emulator.url,
      certificate: ca.certificatePem,
      ...extra,
    } as RolesAnywhereSessionInit);
  }

  /** The error of one credential fetch, checked to be a one-line TpmError of `kind` without any password in it. */
  async function failure(target: RolesAnywhereSession | TpmSource, kind: TpmErrorKind, pattern: RegExp): Promise<TpmError> {
    let caught: unknown;
    try {
      if (target instanceof TpmSource) await (await target.key(undefined as never, { blocks: [], label: "" })).signer.sign(Buffer.from("data"));
      else await target.getCredentials({ forceRefresh: true });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof TpmError, `a TpmError, got ${caught}`);
    assert.equal(caught.kind, kind, caught.message);
    assert.equal(caught.code, `ERR_CERTCREDS_TPM_${kind.toUpperCase().replace(/-/g, "_")}`);
    assert.match(caught.message, pattern);
    assert.doesNotMatch(caught.message, /\n/, "one line");
    for (const secret of [PASSWORD, WRONG]) assert.ok(!caught.message.includes(secret), "no password in the message");
    return caught;
  }

  async function lockoutCounter(): Promise<number> {
    const out = await tpm.tool("tpm2_getcap", ["properties-variable"]);
    return Number(/TPM2_PT_LOCKOUT_COUNTER: (0x[0-9A-Fa-f]+)/.exec(out)![1]);
  }

  test("no TPM at the address, the device path or a non-device; a malformed tpm.device", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const key = await tpm.genpkey("ec-p256");
    await failure(
      new TpmSource({ privateKey: key.path, tpm: { device: `swtpm:host=127.0.0.1,port=${port}` } }),
      "no-tpm",
      /No TPM at swtpm:host=127\.0\.0\.1,port=\d+: nothing listens there .*--tpm-device/,
    );
    await failure(
      new TpmSource({ privateKey: key.path, tpm: { device: "/nonexistent/tpmrm0" } }),
      "no-tpm",
      /No TPM at \/nonexistent\/tpmrm0: the device does not exist/,
    );
    await failure(new TpmSource({ privateKey: key.path, tpm: { device: key.path } }), "no-tpm", /is not a character device/);
    await failure(new TpmSource({ privateKey: key.path, tpm: { device: "/dev/null" } }), "response", /\/dev\/null ended a response early: it is not a TPM/);
    await failure(new TpmSource({ privateKey: key.path, tpm: { device: "/dev/zero" } }), "response", /size field \(0\) does not match/);
    await failure(new TpmSource({ privateKey: key.path, tpm: { device: "/dev/full" } }), "no-tpm", /\/dev\/full refused a command \(ENOSPC\)/);
    assert.throws(
      () => new TpmSource({ privateKey: key.path, tpm: { device: "mssim:port=2321" } }),
      (error: unknown) => error instanceof TpmError && error.kind === "option",
    );
    assert.throws(() => new TpmSource({ privateKey: key.path, tpm: { device: "swtpm:port=99999" } }), /is not a TPM location/);
  });

  test("a wrong password is sent once, counted once, and never again; missing passwords are refused before the TPM is asked", async () => {
    await tpm.dictionaryAttack(2, 3600);
    const key = await tpm.genpkey("ec-p256", { password: PASSWORD });
    const issued = await ca.issue({ commonName: "password", publicKey: key.publicKey });
    const wrong = session({ certificate: issued.certificatePem, privateKey: key.path, tpm: { device: tpm.device, keyPassword: WRONG } });
    try {
      await failure(
        wrong,
        "password-incorrect",
        /refused the password from tpm\.keyPassword .*will not try it again.*dictionary-attack lockout \(1 of 2 failures now counted\).*--tpm-key-password/,
      );
      assert.equal(await lockoutCounter(), 1);
      await failure(wrong, "password-incorrect", /will not try it again/);
      assert.equal(await lockoutCounter(), 1, "the second refresh did not send the password again");
    } finally {
      await wrong.close();
    }
    const missing = session({ certificate: issued.certificatePem, privateKey: key.path, tpm: { device: tpm.device } });
    await failure(missing, "password-missing", /has a password .*--tpm-key-password/);
    await missing.close();
    const noPasswordKey = await tpm.genpkey("ec-p256");
    const given = session({ certificate: issued.certificatePem, privateKey: noPasswordKey.path, tpm: { device: tpm.device, keyPassword: PASSWORD } });
    await failure(given, "option", /has no password \(its emptyAuth is set\), yet tpm\.keyPassword/);
    await given.close();
    await tpm.persistentKey("ec-p256", "0x81000020");
    const handle = session({ certificate: issued.certificatePem, privateKey: "handle:0x81000020", tpm: { device: tpm.device } });
    await failure(handle, "password-missing", /handle:0x81000020 may have a password.*--no-tpm-key-password/);
    await handle.close();
    assert.equal(await lockoutCounter(), 1, "no refused or missing password reached the TPM");
  });

  test("lockout: the TPM says so and how to clear it; cleared, the right password works", async () => {
    await tpm.tool("tpm2_dictionarylockout", ["--clear-lockout"]);
    await tpm.dictionaryAttack(1, 3600);
    const key = await tpm.genpkey("rsa-2048", { password: PASSWORD });
    const issued = await ca.issue({ commonName: "lockout", publicKey: key.publicKey });
    const wrong = new TpmSource({ privateKey: key.path, tpm: { device: tpm.device, keyPassword: WRONG } });
    await failure(wrong, "password-incorrect", /refused the password/);
    const right = session({ certificate: issued.certificatePem, privateKey: key.path, tpm: { device: tpm.device, keyPassword: PASSWORD } });
    try {
      await failure(right, "lockout", /is in dictionary-attack lockout .*tpm2_dictionarylockout --clear-lockout/);
      await tpm.tool("tpm2_dictionarylockout", ["--clear-lockout"]);
      const credentials = await right.getCredentials({ forceRefresh: true });
      assert.ok(emulator.issued.has(credentials.accessKeyId));
    } finally {
      await right.close();
      await tpm.dictionaryAttack(32, 1);
    }
  });

  test("a key not loadable under its parent: made on another TPM, or under a persistent parent that is not there", async () => {
    const other = await startSwtpm();
    try {
      const foreign = await other.genpkey("ec-p256");
      await failure(
        new TpmSource({ privateKey: foreign.path, tpm: { device: tpm.device } }),
        "parent",
        /does not load under the owner hierarchy's storage primary .*create it again on this TPM/,
      );
    } finally {
      await other.close();
    }
    const blobs = await tpm.createKey("ec-p256");
    const path = join(tpm.dir, "missing-parent.pem");
    await writeFile(path, tss2Pem({ ...blobs, parent: 0x81000099, emptyAuth: true }));
    await failure(
      new TpmSource({ privateKey: path, tpm: { device: tpm.device } }),
      "parent",
      /names the parent 0x81000099, but that persistent handle is empty/,
    );
    assert.deepEqual(await tpm.transientHandles(), [], "the primary made for the failed load was flushed");
  });

  test("keys that cannot sign: no sign attribute, restricted, bound to another scheme, a keyed hash, P-521", async () => {
    // Made one after the other: the tools share the TPM's three slots.
    const cases: { blobs: () => Promise<{ publicBytes: Buffer; privateBytes: Buffer }>; kind: TpmErrorKind; pattern: RegExp }[] = [
      {
        blobs: () => tpm.createKey("ec-p256", { attributes: "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt" }),
        kind: "no-sign",
        pattern: /not a signing key/,
      },
      {
        blobs: () => tpm.createKey("ec-p256", { algorithm: "ecc256:ecdsa-sha256:null", attributes: `${SIGN_ONLY}|restricted` }),
        kind: "no-sign",
        pattern: /restricted signing key/,
      },
      { blobs: () => tpm.createKey("rsa-2048", { algorithm: "rsa2048:rsapss:null" }), kind: "algorithm", pattern: /bound to signature scheme 0x0016/ },
      { blobs: () => tpm.createKey("ec-p256", { algorithm: "ecc256:ecdaa:null" }), kind: "algorithm", pattern: /other than ECDSA with SHA-256/ },
      { blobs: () => tpm.createKey("ec-p256", { algorithm: "hmac" }), kind: "algorithm", pattern: /not an RSA or ECC key/ },
      { blobs: () => tpm.createKey("ec-p256", { algorithm: "ecc521" }), kind: "algorithm", pattern: /on the curve P-521/ },
    ];
    for (const [index, { blobs, kind, pattern }] of cases.entries()) {
      const path = join(tpm.dir, `cannot-sign-${index}.pem`);
      await writeFile(path, tss2Pem({ ...(await blobs()), emptyAuth: true }));
      await failure(new TpmSource({ privateKey: path, tpm: { device: tpm.device } }), kind, pattern);
    }
    await tpm.persistentKey("ec-p256", "0x81000021", { attributes: "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt" });
    await failure(
      new TpmSource({ privateKey: "handle:0x81000021", tpm: { device: tpm.device, keyPassword: "" } }),
      "no-sign",
      /handle:0x81000021 is not a signing key/,
    );
  });

  test("a P-384 key bound to ECDSA-SHA384 signs a zero-padded SHA-256 digest that verifies as ECDSA-SHA256", async () => {
    const blobs = await tpm.createKey("ec-p384", { algorithm: "ecc384:ecdsa-sha384:null" });
    const path = join(tpm.dir, "p384-sha384.pem");
    await writeFile(path, tss2Pem({ ...blobs, emptyAuth: true }));
    const source = new TpmSource({ privateKey: path, tpm: { device: tpm.device } });
    try {
      const key = await source.key(undefined as never, { blocks: [], label: "" });
      const data = Buffer.from("string to sign");
      assert.ok(verify("sha256", data, await key.publicKey!(), Buffer.from(await key.signer.sign(data))));
    } finally {
      await source.close();
    }
  });

  test("an empty handle, a handle that is not persistent, a malformed one", async () => {
    await failure(
      new TpmSource({ privateKey: "handle:0x81000077", tpm: { device: tpm.device, keyPassword: "" } }),
      "handle-empty",
      /No key at handle:0x81000077 .*tpm2_evictcontrol/,
    );
    for (const value of ["handle:0x80000001", "handle:xyz", "handle:"]) {
      const source = new TpmSource({ privateKey: value, tpm: { device: tpm.device } });
      await failure(source, "option", /is not (handle: followed by a hexadecimal handle|a persistent handle)|which is not a persistent handle/);
    }
  });

  test("a TPM whose object slots are taken: the error says which tool frees them", async () => {
    // Two kept keys leave one slot; a load under the owner hierarchy needs two (the primary, then the key).
    const holders: TpmSource[] = [];
    for (let i = 0; i < 2; i++) holders.push(new TpmSource({ privateKey: (await tpm.genpkey("ec-p256")).path, tpm: { device: tpm.device, keepLoaded: true } }));
    const key = await tpm.genpkey("ec-p256");
    try {
      for (const holder of holders) await (await holder.key(undefined as never, { blocks: [], label: "" })).signer.sign(Buffer.from("x"));
      await failure(
        new TpmSource({ privateKey: key.path, tpm: { device: tpm.device } }),
        "object-memory",
        /no free object slot .*tpm2_flushcontext -t.*\/dev\/tpmrm0/,
      );
    } finally {
      for (const holder of holders) await holder.close();
    }
    assert.deepEqual(await tpm.transientHandles(), []);
  });

  test("a TSS2 key or handle: for IoT says to use tpm2-pkcs11, before any connection", async () => {
    const key = await tpm.genpkey("ec-p256");
    for (const privateKey of [key.path, key.pem, "handle:0x81000020"]) {
      assert.throws(
        () =>
          new IotCredentialSession({
            endpoint: "https://example.credentials.iot.us-east-1.amazonaws.com",
            roleAlias: "alias",
            thingName: "thing",
            certificate: ca.certificatePem,
            privateKey,
          }),
        (error: unknown) => error instanceof ConfigurationError && /tpm2-pkcs11/.test(error.message) && /tpm2_ptool/.test(error.message),
      );
    }
  });
});
