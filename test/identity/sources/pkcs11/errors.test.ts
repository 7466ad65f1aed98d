import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { fromPkcs11, type IdentityInit, KeyMismatchError, loadIdentity, type Pkcs11Config, Pkcs11Error, releaseIdentity } from "../../../../src/index.js";
import { importBinding } from "../../../../src/identity/sources/pkcs11/binding.js";
import { createTestCertificateAuthority, type TestCertificate } from "../../../../testing/index.js";
import { ROOT } from "../../../helpers/cli.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "../../../helpers/softhsm.js";

const unavailable = softHsmUnavailable();
const TOKEN = "errors-token";
const OTHER = "other-token";
const PIN = "err-pin-7310";

/** Asserts a typed PKCS#11 error, and that no PIN leaks into its message. */
async function rejectsWith(promise: Promise<unknown>, kind: string, option: string | RegExp, message: RegExp): Promise<Pkcs11Error> {
  const error = await promise.then(
    () => assert.fail("expected a Pkcs11Error"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Pkcs11Error, `expected a Pkcs11Error, got ${(error as Error)?.stack}`);
  assert.equal(error.kind, kind, error.message);
  if (typeof option === "string") assert.equal(error.option, option, error.message);
  else assert.match(error.option, option);
  assert.match(error.message, message);
  assert.equal(error.tryNextLink, false);
  assert.ok(!error.message.includes(PIN), "the PIN never appears in a message");
  return error;
}

describe("PKCS#11 errors, each naming the input to change", { skip: unavailable }, () => {
  let hsm: SoftHsm;
  let ecCert: TestCertificate;
  let rsaCert: TestCertificate;
  let strangerCert: TestCertificate;
  const base = (): Pkcs11Config => ({ library: hsm.library, userPin: PIN, tokenLabel: TOKEN });

  before(async () => {
    delete process.env.CERTCREDS_PKCS11_PIN;
    hsm = await createSoftHsm([
      { label: TOKEN, pin: PIN },
      { label: OTHER, pin: "other-pin-1" },
    ]);
    const ca = await createTestCertificateAuthority();
    ecCert = await ca.issue({ commonName: "ec", publicKey: await hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "ec-key" }) });
    rsaCert = await ca.issue({ commonName: "rsa", publicKey: await hsm.generateKey(TOKEN, "rsa-2048", { id: "02", label: "rsa-key" }) });
    await hsm.generateKeyOnly(TOKEN, "ed25519", { id: "03", label: "ed-key" });
    await hsm.generateKey(TOKEN, "ec-p256", { id: "04", label: "always-key", alwaysAuthenticate: true });
    strangerCert = await ca.issue({ commonName: "stranger", keyType: "ec-p256" });
  });
  after(async () => {
    await hsm?.close();
  });

  test("library not found, and a library that is not a PKCS#11 module", async () => {
    await rejectsWith(
      fromPkcs11({ ...base(), library: "/nonexistent/libnope-pkcs11.so" }),
      "library",
      "pkcs11.library",
      /\/nonexistent\/libnope-pkcs11\.so does not exist.*Set pkcs11\.library/,
    );
    // A real shared library without C_GetFunctionList: the binding's own addon.
    const addon = join(ROOT, "node_modules/pkcs11js/build/Release/pkcs11.node");
    await rejectsWith(fromPkcs11({ ...base(), library: addon }), "library", "pkcs11.library", /is a shared library but not a PKCS#11 module/);
    await rejectsWith(
      fromPkcs11(`pkcs11:token=${TOKEN};object=ec-key?module-path=/nonexistent/libx.so&pin-value=${PIN}`),
      "library",
      "module-path in pkcs11",
      /\/nonexistent\/libx\.so does not exist.*module-path in pkcs11/,
    );
  });

  test("no token matches: the tokens found are listed, with labels and slot ids", async () => {
    const error = await rejectsWith(
      fromPkcs11({ ...base(), tokenLabel: "no-such-token" }),
      "token-not-found",
      "pkcs11",
      /matches label "no-such-token"\. Tokens found: .*Set pkcs11\.tokenLabel or pkcs11\.slotId/,
    );
    for (const listed of [/"errors-token" \(slot \d+, serial \w+\)/, /"other-token" \(slot \d+, serial \w+\)/, /uninitialised token in slot \d+/])
      assert.match(error.message, listed);
    await rejectsWith(fromPkcs11({ ...base(), tokenLabel: undefined, slotId: 999_999 }), "token-not-found", "pkcs11", /matches slot 999999/);
    await rejectsWith(
      fromPkcs11({ library: hsm.library, userPin: PIN, privateKeyLabel: "ec-key" }),
      "token-not-found",
      "pkcs11",
      /2 tokens .* match any initialised token: .*Set pkcs11\.tokenLabel/,
    );
    await rejectsWith(
      fromPkcs11(`pkcs11:token=nope;object=ec-key?module-path=${hsm.library}&pin-value=${PIN}`),
      "token-not-found",
      "pkcs11",
      /token=<label> or slot-id=<number> in the pkcs11 URI/,
    );
  });

  test("wrong PIN: a warning that the token locks, and the PIN is never tried again", async () => {
    const init: IdentityInit = { certificate: ecCert.certificatePem, pkcs11: { ...base(), userPin: "wrong-pin-0000", privateKeyLabel: "ec-key" } };
    const first = await rejectsWith(
      loadIdentity(init, new Date()),
      "pin-incorrect",
      "pkcs11.userPin",
      /rejected the PIN from pkcs11\.userPin \(CKR_PIN_INCORRECT\)\. certcreds will not try it again: .*lock/,
    );
    assert.equal(first.returnValue, "CKR_PIN_INCORRECT");
    assert.ok(!first.message.includes("wrong-pin-0000"));
    // The next refresh fails with the remembered error: no second C_Login with the same wrong PIN.
    const second = await loadIdentity(init, new Date()).catch((e: unknown) => e);
    assert.equal(second, first);
    await releaseIdentity(init);
  });

  test("no PIN anywhere (no option, no URI pin-value, no CERTCREDS_PKCS11_PIN, no terminal); the environment variable works", async () => {
    const init = { certificate: ecCert.certificatePem, pkcs11: { library: hsm.library, tokenLabel: TOKEN, privateKeyLabel: "ec-key" } };
    await rejectsWith(loadIdentity(init, new Date()), "pin-missing", "pkcs11.userPin", /needs its user PIN.*CERTCREDS_PKCS11_PIN/);
    await releaseIdentity(init);
    process.env.CERTCREDS_PKCS11_PIN = PIN;
    try {
      const viaEnvironment = { ...init };
      const identity = await loadIdentity(viaEnvironment, new Date());
      assert.equal(identity.serialNumber, ecCert.serialNumber.toString(10));
      await releaseIdentity(viaEnvironment);
    } finally {
      delete process.env.CERTCREDS_PKCS11_PIN;
    }
  });

  test("a PIN asked on the terminal (a pseudo-terminal from script(1)) is not echoed", {
    skip: existsSync("/usr/bin/script") ? false : "script(1) from util-linux is not installed",
  }, async () => {
    const entry = pathToFileURL(join(ROOT, "src/index.ts")).href;
    const script = `
      import { fromPkcs11 } from ${JSON.stringify(entry)};
      const source = await fromPkcs11({ library: ${JSON.stringify(hsm.library)}, tokenLabel: ${JSON.stringify(TOKEN)}, privateKeyLabel: "ec-key" });
      const signature = await source.signer.sign(Buffer.from("typed"));
      await source.close();
      console.log("SIGNED " + signature.length);
    `;
    const child = spawn(
      "/usr/bin/script",
      ["-qec", `${JSON.stringify(process.execPath)} --import tsx --input-type=module -e ${shellQuote(script)}`, "/dev/null"],
      {
        cwd: ROOT,
        env: { ...process.env, CERTCREDS_PKCS11_PIN: "" },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // Type the PIN once the prompt is on the screen, as a person would.
      if (/PIN for PKCS#11 token "errors-token".*: $/.test(output) && !child.stdin.writableEnded) child.stdin.end(`${PIN}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, output);
    assert.match(output, /PIN for PKCS#11 token "errors-token" \(slot \d+, serial \w+\): /);
    assert.match(output, /SIGNED \d+/);
    assert.ok(!output.includes(PIN), "the typed PIN is not echoed");
  });

  test("object not found: the keys or certificates that exist are listed", async () => {
    const missing = await rejectsWith(
      fromPkcs11({ ...base(), privateKeyLabel: "no-such-key" }),
      "object-not-found",
      "pkcs11",
      /No private key with label "no-such-key" on token "errors-token".*Private keys found: .*Set pkcs11\.privateKeyLabel or pkcs11\.privateKeyId/s,
    );
    for (const key of ['"ec-key" (id %01)', '"rsa-key" (id %02)', '"ed-key" (id %03)', '"always-key" (id %04)'])
      assert.ok(missing.message.includes(key), `lists ${key}`);
    await rejectsWith(
      fromPkcs11(`pkcs11:token=${TOKEN};id=%7f?module-path=${hsm.library}&pin-value=${PIN}`),
      "object-not-found",
      "pkcs11",
      /No private key with id %7f.*Change object=<label> or id=<id> in the pkcs11 URI/s,
    );
    const init = { pkcs11: { ...base(), privateKeyLabel: "ec-key" } };
    await rejectsWith(
      loadIdentity(init, new Date()),
      "object-not-found",
      "pkcs11",
      /No certificate for the private key.*Certificates found: none.*pass the certificate as a file/s,
    );
    await releaseIdentity(init);
  });

  test("several keys match and nothing settles it: which ones, and how to narrow", async () => {
    await rejectsWith(
      fromPkcs11(`pkcs11:token=${TOKEN}?module-path=${hsm.library}&pin-value=${PIN}`),
      "object-ambiguous",
      "pkcs11",
      /4 private keys .* match any label or id: .*Add id=<id> \(e\.g\. id=%0\d\) or object=<label> to the pkcs11 URI/,
    );
    // A certificate whose key is not on the token: none of the candidates belongs to it.
    const init = { certificate: strangerCert.certificatePem, privateKey: `pkcs11:token=${TOKEN}?module-path=${hsm.library}&pin-value=${PIN}` };
    const error = await loadIdentity(init, new Date()).catch((e: unknown) => e);
    assert.ok(error instanceof KeyMismatchError, String(error));
    assert.match(error.message, /None of the 4 private keys .* belongs to the certificate/);
    await releaseIdentity(init);
  });

  test("key type not supported: an Ed25519 key on the token", async () => {
    await rejectsWith(
      fromPkcs11({ ...base(), privateKeyLabel: "ed-key" }),
      "key-type",
      "pkcs11",
      /"ed-key" \(id %03\) on token .* is an EdDSA \(CKK_EC_EDWARDS\) key\. .*RSA .*EC/,
    );
  });

  test("an always-authenticate key without reusePin, and no terminal to ask on", async () => {
    const source = await fromPkcs11({ ...base(), privateKeyLabel: "always-key" });
    try {
      await rejectsWith(
        Promise.resolve(source.signer.sign(Buffer.from("x"))),
        "pin-missing",
        "pkcs11.reusePin",
        /CKA_ALWAYS_AUTHENTICATE.*Set pkcs11\.reusePin to true \(CLI: --reuse-pin\)/,
      );
    } finally {
      await source.close();
    }
  });

  test("the certificate on the token does not belong to the key", async () => {
    await hsm.writeCertificate(TOKEN, strangerCert.certificateDer, { id: "09", label: "stranger-cert" });
    const init = { pkcs11: { ...base(), privateKeyLabel: "rsa-key", certificateLabel: "stranger-cert" } };
    const error = await loadIdentity(init, new Date()).catch((e: unknown) => e);
    assert.ok(error instanceof KeyMismatchError, String(error));
    await releaseIdentity(init);
    assert.ok(rsaCert.serialNumber > 0n);
  });

  test("mechanism not supported by the token (SoftHSM2 with mechanisms disabled, in its own process)", async () => {
    // SoftHSM2 reads its configuration once per process: a child process gets a token that offers neither
    // CKM_ECDSA nor CKM_ECDSA_SHA256 nor CKM_SHA256_RSA_PKCS (but CKM_RSA_PKCS).
    const conf = await hsm.writeConf("restricted.conf", "slots.mechanisms = -,CKM_ECDSA,CKM_ECDSA_SHA256,CKM_SHA256_RSA_PKCS\n");
    const entry = pathToFileURL(join(ROOT, "src/index.ts")).href;
    const script = `
      import { verify, X509Certificate } from "node:crypto";
      import { fromPkcs11 } from ${JSON.stringify(entry)};
      const config = { library: ${JSON.stringify(hsm.library)}, userPin: process.env.TEST_PIN, tokenLabel: ${JSON.stringify(TOKEN)} };
      const out = {};
      const rsa = await fromPkcs11({ ...config, privateKeyLabel: "rsa-key" });
      const data = Buffer.from("string to sign");
      out.rsaFallbackVerifies = verify("sha256", data, new X509Certificate(process.env.TEST_RSA_CERT).publicKey, await rsa.signer.sign(data));
      await rsa.close();
      const ec = await fromPkcs11({ ...config, privateKeyLabel: "ec-key" });
      try { await ec.signer.sign(data); out.ec = "signed"; } catch (e) { out.ec = { name: e.constructor.name, kind: e.kind, option: e.option, message: e.message }; }
      await ec.close();
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, SOFTHSM2_CONF: conf, TEST_PIN: PIN, TEST_RSA_CERT: rsaCert.certificatePem },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(out.rsaFallbackVerifies, true, "RSA falls back to CKM_RSA_PKCS over a DigestInfo hashed in software");
    assert.equal(out.ec.name, "Pkcs11Error");
    assert.equal(out.ec.kind, "mechanism");
    assert.equal(out.ec.option, "pkcs11");
    assert.match(out.ec.message, /cannot sign with EC key "ec-key" \(id %01\): it offers neither CKM_ECDSA or CKM_ECDSA_SHA256/);
  });

  test("the binding is optional: a missing package is named, with the command that installs it", async () => {
    await rejectsWith(
      importBinding("certcreds-absent-pkcs11-binding"),
      "binding",
      "pkcs11",
      /optional package "certcreds-absent-pkcs11-binding" is not installed\. Install it with "npm install certcreds-absent-pkcs11-binding"/,
    );
    assert.ok(createRequire(import.meta.url).resolve("pkcs11js"), "the real binding is installed here");
  });
});

/** Single-quotes a string for sh. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
