/**
 * Property tests for the DER certcreds reads itself to recognise ML-DSA
 * (src/identity/der.ts, src/identity/ml-dsa.ts) and for the key parser fed
 * mutated ML-DSA keys: thousands of inputs, each a correct answer, "not
 * ML-DSA" or a typed CertcredsError — never an untyped throw. Runs on every
 * Node: the keys come from the test PKI's own ML-DSA code.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import fc from "fast-check";
import { CertcredsError } from "../../src/core/errors.js";
import { children, readTlv } from "../../src/identity/der.js";
import { mlDsaOfCertificate, mlDsaOfPkcs8, mlDsaOfSpki } from "../../src/identity/ml-dsa.js";
import { assertSupportedKey, parsePrivateKey } from "../../src/identity/sources/file/private-key.js";
import { createMlDsaTestKey, createTestCertificateAuthority, type MlDsaTestKey, type TestCertificate } from "../../testing/index.js";
import { tlv } from "../../testing/pki/der.js";

const VARIANTS = ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"];
const FORMS = ["seed", "expanded", "both", undefined];
const keys: MlDsaTestKey[] = [];
const certificates: TestCertificate[] = [];

before(async () => {
  const ca = await createTestCertificateAuthority();
  for (const keyType of ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const) {
    const key = createMlDsaTestKey(keyType);
    keys.push(key);
    certificates.push(await ca.issue({ spki: key.spki }));
  }
});

/** A DER value with one mutation: truncated, a byte changed, bytes inserted or removed. */
function mutated(der: () => Buffer) {
  return fc.oneof(
    fc.nat().map((n) => der().subarray(0, n % (der().length + 1))),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = Buffer.from(der());
      copy[i % copy.length] = b;
      return copy;
    }),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, bytes]) => {
      const d = der();
      const at = i % (d.length + 1);
      return Buffer.concat([d.subarray(0, at), bytes, d.subarray(at)]);
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([i, n]) => {
      const d = der();
      const at = i % d.length;
      return Buffer.concat([d.subarray(0, at), d.subarray(at + n)]);
    }),
  );
}

const keyIndex = fc.integer({ min: 0, max: 2 });
const form = fc.constantFrom("seed" as const, "expanded" as const, "both" as const);

test("readTlv: any bytes at any offset give an element inside the buffer or an Error; what tlv() writes reads back", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 70 }), (bytes, offset) => {
      const buf = Buffer.from(bytes);
      try {
        const element = readTlv(buf, offset);
        assert.ok(element.end <= buf.length && element.end > offset);
        assert.ok(element.value.byteOffset >= buf.byteOffset + offset && element.value.byteOffset + element.value.length <= buf.byteOffset + buf.length);
      } catch (error) {
        assert.ok(error instanceof Error);
      }
    }),
    { numRuns: 5_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0x1e }), fc.uint8Array({ maxLength: 70_000 }), (tagNumber, contents) => {
      const encoded = tlv(0x80 | tagNumber, contents);
      const element = readTlv(encoded, 0);
      assert.equal(element.tag, 0x80 | tagNumber);
      assert.equal(element.end, encoded.length);
      assert.deepEqual(children(Buffer.concat([encoded, encoded])).length, 2);
      assert.ok(element.value.equals(contents));
    }),
    { numRuns: 300 },
  );
});

test("PKCS#8 and SPKI readers: the right variant and form for every key; mutations give a valid answer or none, never a throw", () => {
  fc.assert(
    fc.property(keyIndex, form, (i, f) => {
      const key = keys[i]!;
      assert.deepEqual(mlDsaOfPkcs8(key.privateKeyDer(f)), { variant: VARIANTS[i], form: f });
      assert.equal(mlDsaOfSpki(key.spki), VARIANTS[i]);
    }),
    { numRuns: 30 },
  );
  fc.assert(
    fc.property(
      keyIndex.chain((i) => form.chain((f) => mutated(() => keys[i]!.privateKeyDer(f)))),
      (der) => {
        const found = mlDsaOfPkcs8(der);
        if (found) assert.ok(VARIANTS.includes(found.variant) && FORMS.includes(found.form));
      },
    ),
    { numRuns: 5_000 },
  );
  fc.assert(
    fc.property(
      keyIndex.chain((i) => mutated(() => keys[i]!.spki)),
      (der) => {
        const found = mlDsaOfSpki(der);
        assert.ok(found === undefined || VARIANTS.includes(found));
      },
    ),
    { numRuns: 3_000 },
  );
});

test("a changed byte inside the key material keeps variant and form: the reader looks at structure, not at secrets", () => {
  fc.assert(
    fc.property(keyIndex, form, fc.nat(), fc.integer({ min: 0, max: 255 }), (i, f, at, value) => {
      const der = Buffer.from(keys[i]!.privateKeyDer(f));
      // The seed is the last 32 bytes of the seed form; the expanded key ends the other two.
      const material = f === "seed" ? 32 : 2560;
      der[der.length - 1 - (at % material)] = value;
      assert.deepEqual(mlDsaOfPkcs8(der), { variant: VARIANTS[i], form: f });
    }),
    { numRuns: 3_000 },
  );
});

test("certificate reader: the subject key of every ML-DSA certificate; mutated certificates give a valid answer or none", () => {
  for (const [i, certificate] of certificates.entries()) {
    assert.deepEqual(mlDsaOfCertificate(certificate.certificateDer), { key: VARIANTS[i], signature: undefined });
  }
  fc.assert(
    fc.property(
      keyIndex.chain((i) => mutated(() => certificates[i]!.certificateDer)),
      (der) => {
        const { key, signature } = mlDsaOfCertificate(der);
        assert.ok(key === undefined || VARIANTS.includes(key));
        assert.ok(signature === undefined || VARIANTS.includes(signature));
      },
    ),
    { numRuns: 3_000 },
  );
});

test("the key parser on mutated ML-DSA keys, DER and PEM: a key or a typed error", { timeout: 120_000 }, () => {
  const pem = (der: Buffer) => `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
  fc.assert(
    fc.property(
      keyIndex.chain((i) => form.chain((f) => mutated(() => keys[i]!.privateKeyDer(f)))),
      fc.boolean(),
      (der, asPem) => {
        try {
          const key = parsePrivateKey({ bytes: asPem ? Buffer.from(pem(der)) : der, label: "mutated key" }, undefined);
          assertSupportedKey(key, "mutated key");
        } catch (error) {
          if (!(error instanceof CertcredsError)) throw new Error(`untyped error: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        }
      },
    ),
    { numRuns: 3_000 },
  );
});
