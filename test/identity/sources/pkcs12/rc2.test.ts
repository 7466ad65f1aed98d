import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { rc2CbcDecrypt, rc2CbcEncrypt, rc2DecryptBlock, rc2EncryptBlock, rc2ExpandKey } from "../../../../src/identity/sources/pkcs12/rc2.js";
import { opensslLegacyUnavailable } from "../../../helpers/pkcs12.js";

// RFC 2268 section 5: key, effective key bits, plaintext, ciphertext.
const VECTORS = [
  ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
  ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
  ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
  ["88", 64, "0000000000000000", "61a8a244adacccf0"],
  ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
  ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
  ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ["88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000", "5b78d3a43dfff1f1"],
] as const;

test("RC2 block cipher: the known answers of RFC 2268, both ways", () => {
  for (const [key, bits, plaintext, ciphertext] of VECTORS) {
    const k = rc2ExpandKey(Buffer.from(key, "hex"), bits);
    const block = Buffer.from(plaintext, "hex");
    rc2EncryptBlock(k, block);
    assert.equal(block.toString("hex"), ciphertext, `key ${key}, ${bits} bits`);
    rc2DecryptBlock(k, block);
    assert.equal(block.toString("hex"), plaintext);
  }
});

test("RC2-CBC: round trip with PKCS#7 padding; a wrong key or a damaged length gives undefined, never garbage", () => {
  const key = randomBytes(5);
  const iv = randomBytes(8);
  for (const length of [0, 1, 7, 8, 9, 100]) {
    const plaintext = randomBytes(length);
    const ciphertext = rc2CbcEncrypt(key, 40, iv, plaintext);
    assert.equal(ciphertext.length, (Math.floor(length / 8) + 1) * 8);
    assert.deepEqual(rc2CbcDecrypt(key, 40, iv, ciphertext), plaintext);
  }
  const ciphertext = rc2CbcEncrypt(key, 40, iv, Buffer.from("a certificate bag"));
  assert.equal(rc2CbcDecrypt(key, 40, iv, ciphertext.subarray(0, 15)), undefined, "not a whole number of blocks");
  assert.equal(rc2CbcDecrypt(key, 40, iv, Buffer.alloc(0)), undefined);
  // A wrong key passes the padding check now and then by chance; over many keys most must fail.
  let passed = 0;
  for (let i = 0; i < 200; i++) if (rc2CbcDecrypt(randomBytes(5), 40, iv, ciphertext) !== undefined) passed++;
  assert.ok(passed < 20, `${passed} of 200 wrong keys passed the padding check`);
});

test("RC2-40-CBC and RC2-128-CBC agree with OpenSSL's legacy provider", { skip: opensslLegacyUnavailable() }, () => {
  for (const [cipher, keyLength] of [
    ["rc2-40-cbc", 5],
    ["rc2-cbc", 16],
  ] as const) {
    for (const length of [0, 13, 64]) {
      const key = randomBytes(keyLength);
      const iv = randomBytes(8);
      const plaintext = randomBytes(length);
      const theirs = execFileSync(
        "openssl",
        ["enc", `-${cipher}`, "-K", key.toString("hex"), "-iv", iv.toString("hex"), "-provider", "legacy", "-provider", "default"],
        { input: plaintext },
      );
      assert.deepEqual(rc2CbcEncrypt(key, keyLength * 8, iv, plaintext), theirs, `${cipher}, ${length} bytes`);
      assert.deepEqual(rc2CbcDecrypt(key, keyLength * 8, iv, theirs), plaintext);
    }
  }
});

test("RC2 key expansion refuses key and effective-bit sizes outside RFC 2268", () => {
  assert.throws(() => rc2ExpandKey(Buffer.alloc(0), 40), RangeError);
  assert.throws(() => rc2ExpandKey(Buffer.alloc(129), 40), RangeError);
  assert.throws(() => rc2ExpandKey(Buffer.alloc(5), 0), RangeError);
  assert.throws(() => rc2CbcDecrypt(Buffer.alloc(5), 40, Buffer.alloc(7), Buffer.alloc(8)), RangeError);
});
