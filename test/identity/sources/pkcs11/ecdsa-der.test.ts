import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { test } from "node:test";
import { ecdsaRawToDer } from "../../../../src/identity/sources/pkcs11/ecdsa-der.js";

test("ecdsaRawToDer turns a token's r||s into the DER that verifiers take, for every curve", () => {
  for (const namedCurve of ["P-256", "P-384", "P-521"]) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
    for (let i = 0; i < 40; i++) {
      const data = Buffer.from(`message ${i}`);
      const raw = sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
      const der = ecdsaRawToDer(raw);
      assert.ok(verify("sha256", data, publicKey, der), `${namedCurve} #${i}`);
      assert.equal(der[0], 0x30);
    }
  }
  assert.throws(() => ecdsaRawToDer(Buffer.alloc(63)), RangeError);
});
