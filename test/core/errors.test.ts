/** Every error class carries its code statically and on each instance, and its family ("fix your inputs" or not). */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as certcreds from "../../src/index.js";

const { CertcredsError, InputError, NetworkError, ServiceError, ResponseFormatError, Pkcs11Error } = certcreds;

test("static code == instance code, for every exported error class; codes are unique", () => {
  const classes = Object.values(certcreds).filter(
    (value): value is typeof CertcredsError => typeof value === "function" && (value === CertcredsError || value.prototype instanceof CertcredsError),
  );
  assert.ok(classes.length >= 14, `${classes.length} error classes exported`);
  const codes = new Set<string>();
  for (const Class of classes) {
    assert.match(Class.code, /^ERR_CERTCREDS/, Class.name);
    assert.ok(!codes.has(Class.code), `${Class.name}: code ${Class.code} used twice`);
    codes.add(Class.code);
  }
  const samples: InstanceType<typeof CertcredsError>[] = [
    new certcreds.ConfigurationError("roleArn", "m"),
    new certcreds.InputReadError("certificate", "m"),
    new certcreds.KeyMismatchError("m"),
    new NetworkError("timeout", "m"),
    new ServiceError("iot", 403, undefined, "", "m"),
    new ResponseFormatError("iot", "m"),
  ];
  for (const error of samples) assert.equal(error.code, (error.constructor as typeof CertcredsError).code, error.name);
  const pin = new Pkcs11Error("pin-incorrect", "pkcs11.userPin", "m");
  assert.equal(pin.code, "ERR_CERTCREDS_PKCS11_PIN_INCORRECT");
  assert.ok(pin.code.startsWith(Pkcs11Error.code));
});

test("the input family: what to fix is the user's input; network and service failures are not in it", () => {
  for (const error of [
    new certcreds.ConfigurationError("x", "m"),
    new certcreds.PassphraseError("m"),
    new certcreds.CertificateChainError("m"),
    new Pkcs11Error("token", "pkcs11", "m"),
  ]) {
    assert.ok(error instanceof InputError, error.name);
    assert.equal(error.tryNextLink, false);
  }
  for (const error of [new NetworkError("dns", "m"), new ServiceError("rolesanywhere", 500, undefined, "", "m"), new ResponseFormatError("iot", "m")]) {
    assert.ok(!(error instanceof InputError), error.name);
  }
  const kinds: certcreds.NetworkErrorKind[] = [
    "dns",
    "connect",
    "reset",
    "timeout",
    "tls-server-untrusted",
    "tls-client-refused",
    "tls",
    "proxy",
    "body-too-large",
  ];
  assert.deepEqual(
    kinds.filter((kind) => new NetworkError(kind, "m").retryable),
    ["dns", "connect", "reset", "timeout"],
  );
});

test("require and import of the built package give one copy of each class", async () => {
  const { execFileSync } = await import("node:child_process");
  const { join } = await import("node:path");
  const root = join(import.meta.dirname, "..", "..");
  // In a plain Node process: this test's own loader (tsx) compiles required ES modules itself, a second copy.
  const script = `const cjs = require(${JSON.stringify(join(root, "dist", "cjs", "index.cjs"))});
    import(${JSON.stringify(join(root, "dist", "index.js"))}).then((esm) => process.stdout.write(String(Object.keys(esm).every((name) => esm[name] === cjs[name]) && Object.keys(esm).length === Object.keys(cjs).length)));`;
  assert.equal(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } }), "true");
});

test("the built package keeps every error class's name (a bundler renames colliding classes: Pkcs11Error was _Pkcs11Error)", async () => {
  const { createRequire } = await import("node:module");
  const { join } = await import("node:path");
  const root = join(import.meta.dirname, "..", "..");
  const esm = (await import(join(root, "dist", "index.js"))) as Record<string, unknown>;
  const cjs = createRequire(import.meta.url)(join(root, "dist", "cjs", "index.cjs")) as Record<string, unknown>;
  for (const entry of [esm, cjs]) {
    const names = Object.entries(entry).filter(([name, value]) => typeof value === "function" && name.endsWith("Error"));
    assert.ok(names.length >= 14);
    for (const [name, value] of names) {
      assert.equal((value as { name: string }).name, name);
      assert.equal(Object.create((value as { prototype: object }).prototype).constructor.name, name);
    }
    const Pkcs11 = entry.Pkcs11Error as new (kind: string, option: string, message: string) => Error;
    assert.equal(new Pkcs11("token", "pkcs11", "m").name, "Pkcs11Error");
  }
});

test("CertcredsError keeps its 0.1 constructor (code, message, options) beside (message, options)", () => {
  const cause = new Error("root");
  const old = new CertcredsError("ERR_CERTCREDS_CUSTOM", "an application's own error", { cause });
  assert.equal(old.code, "ERR_CERTCREDS_CUSTOM");
  assert.equal(old.message, "an application's own error");
  assert.equal(old.cause, cause);
  const current = new CertcredsError("a message");
  assert.equal(current.code, CertcredsError.code);
  assert.equal(current.message, "a message");
});
