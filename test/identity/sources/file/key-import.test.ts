import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { importPrivateKeyDer } from "../../../../src/identity/sources/file/key-import.js";

const keys: [string, KeyObject][] = [
  ["rsa-2048", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey],
  ["rsa-3072 e=3", generateKeyPairSync("rsa", { modulusLength: 3072, publicExponent: 3 }).privateKey],
  ["P-256", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey],
  ["P-384", generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey],
  ["P-521", generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey],
];

test("the fast JWK import yields exactly the key OpenSSL decodes, for PKCS#8, PKCS#1 and SEC1", () => {
  for (const [label, key] of keys) {
    const pkcs8 = importPrivateKeyDer(key.export({ type: "pkcs8", format: "der" }), "pkcs8");
    assert.ok(pkcs8?.equals(key), `${label} pkcs8`);
    const native = key.asymmetricKeyType === "rsa" ? "pkcs1" : "sec1";
    const other = importPrivateKeyDer(key.export({ type: native, format: "der" }), native);
    assert.ok(other?.equals(key), `${label} ${native}`);
  }
});

test("keys it does not handle are left to OpenSSL (undefined), never misread", () => {
  const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" });
  assert.equal(importPrivateKeyDer(ed, "pkcs8"), undefined);
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey.export({ type: "pkcs8", format: "der" });
  assert.equal(importPrivateKeyDer(k1, "pkcs8"), undefined);
  const der = keys[2]![1].export({ type: "pkcs8", format: "der" });
  fc.assert(
    fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const mutated = Buffer.from(der);
      mutated[at] = byte;
      const key = importPrivateKeyDer(mutated, "pkcs8");
      // Either refused, or a real key (a mutation inside d still makes a valid scalar; the pair check catches it later).
      return key === undefined || key.asymmetricKeyType === "ec";
    }),
    { numRuns: 2000 },
  );
});
