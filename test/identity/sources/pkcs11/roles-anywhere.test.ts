import assert from "node:assert/strict";
import { type KeyObject, verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadIdentity, releaseIdentity, RolesAnywhereSession, type RolesAnywhereSessionInit } from "../../../../src/index.js";
// A class the entry exports only as a type: the test checks which signer serves a token key.
import { Pkcs11Signer } from "../../../../src/identity/sources/pkcs11/signer.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../../../testing/index.js";
import { assertNoSecrets, CapturingLogger } from "../../../helpers/log-capture.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "../../../helpers/softhsm.js";

const unavailable = softHsmUnavailable();
const TOKEN = "ra-token";
const PIN = "ra-pin-4821";
const ROLE = "arn:aws:iam::123456789012:role/device-role";

describe("IAM Roles Anywhere with keys on a SoftHSM2 token", { skip: unavailable }, () => {
  let hsm: SoftHsm;
  let ca: TestCertificateAuthority;
  let emulator: RolesAnywhereEmulator;
  const keys: Record<string, { publicKey: KeyObject; cert: TestCertificate }> = {};

  before(async () => {
    hsm = await createSoftHsm([{ label: TOKEN, pin: PIN }]);
    ca = await createTestCertificateAuthority({ commonName: "certcreds pkcs11 test CA" });
    emulator = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ca.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
    const specs = [
      { name: "rsa", id: "01", make: () => hsm.generateKey(TOKEN, "rsa-2048", { id: "01", label: "rsa-key" }), onToken: true },
      { name: "ec", id: "02", make: () => hsm.generateKey(TOKEN, "ec-p256", { id: "02", label: "ec-key" }), onToken: true },
      { name: "always", id: "03", make: () => hsm.generateKey(TOKEN, "ec-p256", { id: "03", label: "always-key", alwaysAuthenticate: true }), onToken: false },
      { name: "imported", id: "04", make: () => hsm.importPrivateKey(TOKEN, "ec-p256", { id: "04", label: "imported-key" }), onToken: false },
    ];
    for (const spec of specs) {
      const publicKey = await spec.make();
      const cert = await ca.issue({ commonName: `device-${spec.name}`, publicKey });
      if (spec.onToken) await hsm.writeCertificate(TOKEN, cert.certificateDer, { id: spec.id, label: `${spec.name}-key` });
      keys[spec.name] = { publicKey, cert };
    }
  });
  after(async () => {
    await emulator?.close();
    await hsm?.close();
  });

  function init(extra: Partial<RolesAnywhereSessionInit>): RolesAnywhereSessionInit {
    return {
      trustAnchorArn: emulator.trustAnchorArn,
      profileArn: emulator.profileArn,
      roleArn: ROLE,
      endpoint: emulator.url,
      ...extra,
    } as RolesAnywhereSessionInit;
  }

  async function fetchWith(sessionInit: RolesAnywhereSessionInit, algorithm: "RSA" | "ECDSA", serial: bigint) {
    const session = new RolesAnywhereSession(sessionInit);
    try {
      const credentials = await session.getCredentials();
      assert.ok(emulator.issued.has(credentials.accessKeyId), "the emulator verified the token's signature and issued these credentials");
      const authorization = String(emulator.requests.at(-1)!.headers.authorization);
      assert.match(authorization, new RegExp(`^AWS4-X509-${algorithm}-SHA256 Credential=${serial.toString(10)}/`));
      return credentials;
    } finally {
      await session.close();
    }
  }

  test("RSA-2048 on the token, certificate from a file, Python-style pkcs11 option", async () => {
    const certPath = join(hsm.dir, "rsa-cert.pem");
    await writeFile(certPath, keys.rsa!.cert.certificatePem);
    await fetchWith(
      init({ certificate: certPath, pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "rsa-key" } }),
      "RSA",
      keys.rsa!.cert.serialNumber,
    );
  });

  test("EC P-256 on the token, certificate read from the token (certificate omitted)", async () => {
    await fetchWith(
      init({ pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "ec-key" } }),
      "ECDSA",
      keys.ec!.cert.serialNumber,
    );
  });

  test("RFC 7512 URIs for certificate and key; the key found from the certificate URI alone", async () => {
    const module = encodeURIComponent(hsm.library);
    await fetchWith(
      init({
        certificate: `pkcs11:token=${TOKEN};object=rsa-key;type=cert?module-path=${module}`,
        privateKey: `pkcs11:token=${TOKEN};id=%01;type=private?module-path=${module}&pin-value=${PIN}`,
      }),
      "RSA",
      keys.rsa!.cert.serialNumber,
    );
    // AWS's helper form: only --certificate as a URI; the key is the one with the same object label.
    await fetchWith(init({ certificate: `pkcs11:token=${TOKEN};object=ec-key?module-path=${module}&pin-value=${PIN}` }), "ECDSA", keys.ec!.cert.serialNumber);
  });

  test("a CKA_ALWAYS_AUTHENTICATE key: context-specific login at each signature with reusePin", async () => {
    const session = new RolesAnywhereSession(
      init({
        certificate: keys.always!.cert.certificatePem,
        pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyId: "03", reusePin: true },
      }),
    );
    try {
      const first = await session.getCredentials();
      const second = await session.getCredentials({ forceRefresh: true });
      assert.notEqual(first.accessKeyId, second.accessKeyId, "two signatures, each after its own context-specific login");
      assert.ok(emulator.issued.has(second.accessKeyId));
    } finally {
      await session.close();
    }
  });

  test("an ambiguous URI is settled by the certificate: by CKA_ID, by public key, by trial signature", async () => {
    const everyKey = `pkcs11:token=${TOKEN}?module-path=${encodeURIComponent(hsm.library)}&pin-value=${PIN}`;
    // The EC key: its certificate object on the token carries id 02.
    await fetchWith(init({ certificate: keys.ec!.cert.certificatePem, privateKey: everyKey }), "ECDSA", keys.ec!.cert.serialNumber);
    // The imported key has no public key object: only a trial signature can tell it is the certificate's.
    await fetchWith(init({ certificate: keys.imported!.cert.certificatePem, privateKey: everyKey }), "ECDSA", keys.imported!.cert.serialNumber);
  });

  test("one session across refreshes; a lost session is re-opened with a new login and the refresh succeeds", async () => {
    const logger = new CapturingLogger();
    const identityInit = {
      certificate: keys.ec!.cert.certificatePem,
      pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "ec-key" },
      logger,
    };
    const first = await loadIdentity(identityInit, new Date());
    assert.ok(first.signer instanceof Pkcs11Signer);
    for (let i = 0; i < 3; i++) {
      const identity = await loadIdentity(identityInit, new Date());
      assert.equal(identity.signer, first.signer, "the same signer (and session) serves every refresh");
      const data = Buffer.from(`refresh ${i}`);
      assert.ok(verify("sha256", data, keys.ec!.publicKey, await identity.signer.sign(data)));
    }
    assert.equal(first.signer.sessionsOpened, 1);

    // Another part of the program closes every session of the slot: the session handle and the login are gone.
    const pkcs11js = (await import("pkcs11js")).default;
    const other = new pkcs11js.PKCS11();
    other.load(hsm.library);
    try {
      other.C_Initialize();
    } catch {
      // Already initialised by certcreds in this process: the same module state is shared.
    }
    const slot = other.C_GetSlotList(true).find((s) => other.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    other.C_CloseAllSessions(slot);

    const data = Buffer.from("after the sessions were closed");
    const identity = await loadIdentity(identityInit, new Date());
    assert.ok(verify("sha256", data, keys.ec!.publicKey, await identity.signer.sign(data)));
    assert.equal(first.signer.sessionsOpened, 2, "one new session, opened by the recovery");
    assert.ok(
      logger.lines.some((line) => /session .* was lost \(CKR_SESSION_HANDLE_INVALID\)/.test(line)),
      logger.lines.join("\n"),
    );

    // Concurrent signatures are serialised on the one session.
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => identity.signer.sign(Buffer.from(`parallel ${i}`))));
    for (const [i, signature] of many.entries()) assert.ok(verify("sha256", Buffer.from(`parallel ${i}`), keys.ec!.publicKey, signature));
    assertNoSecrets(logger.lines, [PIN]);
    await releaseIdentity(identityInit);
  });
});
