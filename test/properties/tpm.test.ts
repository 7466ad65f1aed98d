/**
 * Property-based tests for what certcreds reads from outside about a TPM
 * key: TSS2 key files (ASN.1 around a TPM2B_PUBLIC and a TPM2B_PRIVATE) and
 * the TPM's responses. Thousands of generated and mutated inputs, each a
 * correct result or a typed TpmError — never another exception, a hang, or
 * a signature that does not verify.
 */
import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { TpmError } from "../../src/identity/sources/tpm/errors.js";
import { TpmSource } from "../../src/identity/sources/tpm/source.js";
import { parseTss2Key } from "../../src/identity/sources/tpm/tss2-key.js";
import { type FakeTpm, startFakeTpm } from "../helpers/fake-tpm.js";
import { tss2Der } from "../helpers/tss2.js";

const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
};
const sized = (bytes: Uint8Array) => Buffer.concat([u16(bytes.length), Buffer.from(bytes)]);

/** Schemes with the hash a TPMT_*_SCHEME carries (RSAES and NULL carry none; ECDAA a count too). */
const scheme = fc.oneof(
  fc.constant(u16(0x0010)),
  fc
    .constantFrom(0x0014, 0x0016, 0x0017, 0x0018, 0x001c)
    .chain((alg) => fc.constantFrom(0x0004, 0x000b, 0x000c, 0x000d).map((hash) => Buffer.concat([u16(alg), u16(hash)]))),
  fc.constant(u16(0x0015)),
  fc.integer({ min: 0, max: 0xffff }).map((count) => Buffer.concat([u16(0x001a), u16(0x000b), u16(count)])),
);
const symmetric = fc.oneof(fc.constant(u16(0x0010)), fc.constant(Buffer.concat([u16(0x0006), u16(128), u16(0x0043)])));

/** A well-formed TPMT_PUBLIC of an RSA or ECC key (any attributes, sizes and schemes), as a TPM writes it. */
const publicArea = fc.oneof(
  fc
    .record({
      attributes: fc.integer({ min: 0, max: 0xffffffff }),
      nameAlg: fc.constantFrom(0x000b, 0x000b, 0x0004, 0x000c, 0x0012),
      symmetric,
      scheme,
      modulus: fc.uint8Array({ minLength: 1, maxLength: 512 }),
      exponent: fc.constantFrom(0, 3, 65537),
      policy: fc.uint8Array({ maxLength: 64 }),
    })
    .map((f) => ({
      type: 0x0001,
      bytes: Buffer.concat([
        u16(0x0001),
        u16(f.nameAlg),
        u32(f.attributes),
        sized(f.policy),
        f.symmetric,
        f.scheme,
        u16(f.modulus.length * 8),
        u32(f.exponent),
        sized(f.modulus),
      ]),
    })),
  fc
    .record({
      attributes: fc.integer({ min: 0, max: 0xffffffff }),
      nameAlg: fc.constantFrom(0x000b, 0x000c),
      symmetric,
      scheme,
      curve: fc.constantFrom(0x0003, 0x0004, 0x0005, 0x0001),
      kdf: fc.constantFrom(u16(0x0010), Buffer.concat([u16(0x0020), u16(0x000b)])),
      x: fc.uint8Array({ maxLength: 66 }),
      y: fc.uint8Array({ maxLength: 66 }),
    })
    .map((f) => ({
      type: 0x0023,
      bytes: Buffer.concat([
        u16(0x0023),
        u16(f.nameAlg),
        u32(f.attributes),
        sized(Buffer.alloc(0)),
        f.symmetric,
        f.scheme,
        u16(f.curve),
        f.kdf,
        sized(f.x),
        sized(f.y),
      ]),
    })),
);

const tss2Fields = fc.record({
  area: publicArea,
  privateBytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  parent: fc.constantFrom(0x40000001, 0x4000000b, 0x4000000c, 0x40000007, 0x81000001, 0x81ffffff, 0x80000000, 0x00000001),
  emptyAuth: fc.option(fc.boolean(), { nil: undefined }),
  description: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});

/** One change to a byte string: flip, overwrite, insert, delete, cut, or write a telling 16- or 32-bit value. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("u16" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0xffff) }),
  fc.record({
    kind: fc.constant("u32" as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 1, 10, 0x1000, 0x80000000, 0xffffffff, 0x40000001, 0x81000001, 0x80000002),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(input: Buffer, mutations: Mutation[], from = 0): Buffer {
  let bytes = Buffer.from(input);
  for (const change of mutations) {
    const span = Math.max(1, bytes.length - from);
    const at = from + (change.at % span);
    if (change.kind === "flip" && at < bytes.length) bytes[at]! ^= 1 << change.bit;
    else if (change.kind === "set" && at < bytes.length) bytes[at] = change.value;
    else if (change.kind === "insert") bytes = Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
    else if (change.kind === "delete") bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.count)]);
    else if (change.kind === "truncate") bytes = bytes.subarray(0, at);
    else if (change.kind === "u16" && at + 2 <= bytes.length) bytes.writeUInt16BE(change.value, at);
    else if (change.kind === "u32" && at + 4 <= bytes.length) bytes.writeUInt32BE(change.value >>> 0, at);
  }
  return bytes;
}

function isTyped(error: unknown): boolean {
  return error instanceof TpmError && typeof error.code === "string" && !error.message.includes("\n");
}

test("a well-formed TSS2 key file parses to exactly its fields", () => {
  fc.assert(
    fc.property(tss2Fields, (f) => {
      const publicBytes = sized(f.area.bytes);
      const privateBytes = sized(f.privateBytes);
      const der = tss2Der({
        publicBytes,
        privateBytes,
        parent: f.parent,
        ...(f.emptyAuth !== undefined ? { emptyAuth: f.emptyAuth } : {}),
        ...(f.description !== undefined ? { description: f.description } : {}),
      });
      const valid = f.parent >>> 24 === 0x81 || [0x40000001, 0x4000000b, 0x4000000c, 0x40000007].includes(f.parent);
      try {
        const key = parseTss2Key(der, "privateKey (PEM text)");
        assert.ok(valid, "a parent that is neither a hierarchy nor persistent was accepted");
        assert.equal(key.parent, f.parent);
        assert.equal(key.emptyAuth, f.emptyAuth === true);
        assert.deepEqual(key.publicBytes, publicBytes);
        assert.deepEqual(key.privateBytes, privateBytes);
        assert.equal(key.public.type, f.area.type);
        assert.deepEqual(key.public.bytes, f.area.bytes);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(!valid && error instanceof TpmError && error.kind === "parent", `only the parent may be refused: ${error}`);
      }
    }),
    { numRuns: 500 },
  );
});

test("mutated TSS2 key files: a correct parse or a typed error, never another exception", () => {
  fc.assert(
    fc.property(tss2Fields, fc.array(mutation, { minLength: 1, maxLength: 4 }), (f, mutations) => {
      const der = mutate(
        tss2Der({ publicBytes: sized(f.area.bytes), privateBytes: sized(f.privateBytes), parent: f.parent, emptyAuth: f.emptyAuth ?? true }),
        mutations,
      );
      try {
        const key = parseTss2Key(der, "privateKey (PEM text)");
        // What parses must be self-consistent: sized blobs, a known parent, a public area of its own length.
        assert.equal(key.publicBytes.readUInt16BE(0), key.publicBytes.length - 2);
        assert.equal(key.privateBytes.readUInt16BE(0), key.privateBytes.length - 2);
        assert.deepEqual(key.public.bytes, key.publicBytes.subarray(2));
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(isTyped(error), `a typed error, got ${error}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test("arbitrary bytes are never a TSS2 key", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      assert.throws(() => parseTss2Key(Buffer.from(bytes), "privateKey (bytes)"), isTyped);
    }),
    { numRuns: 1000 },
  );
});

test("mutated key files through the key source: a signing key of the right algorithm, or a typed error", async () => {
  await fc.assert(
    fc.asyncProperty(tss2Fields, fc.array(mutation, { maxLength: 3 }), async (f, mutations) => {
      const der = mutate(tss2Der({ publicBytes: sized(f.area.bytes), privateBytes: sized(f.privateBytes), parent: 0x40000001, emptyAuth: true }), mutations);
      const pem = `-----BEGIN TSS2 PRIVATE KEY-----\n${der.toString("base64")}\n-----END TSS2 PRIVATE KEY-----\n`;
      // Nothing listens at port 9: reading the key must not need the TPM.
      const source = new TpmSource({ privateKey: pem, tpm: { device: "swtpm:host=127.0.0.1,port=9" } });
      try {
        const key = await source.key(undefined as never, { blocks: [], label: "" });
        const publicKey = await key.publicKey!();
        assert.equal(key.signer.algorithm, publicKey.asymmetricKeyType === "rsa" ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256");
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(isTyped(error), `a typed error, got ${error}`);
      } finally {
        await source.close();
      }
    }),
    { numRuns: 1000 },
  );
});

let fake: FakeTpm;
const DATA = Buffer.from("AWS4-X509-ECDSA-SHA256\n20260101T000000Z\n20260101/us-east-1/rolesanywhere/aws4_request\n0123");
before(async () => {
  fake = await startFakeTpm("ec-p256");
  fake.expect(DATA);
});
after(async () => fake?.close());

/** Response codes worth hitting: wrong password, lockout, retry, full slots, handle and integrity errors. */
const responseCode = fc.constantFrom(0x98e, 0x9a2, 0x921, 0x922, 0x908, 0x902, 0x18b, 0x1df, 0x92, 0x101, 0x90a, 0x0b0001, 0x12f);

test("mutated TPM responses: a signature that verifies with the key, or a typed error, in bounded time", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 7 }),
      fc.oneof(
        fc.record({ rc: responseCode }),
        fc.record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), keepSize: fc.boolean() }),
        fc.record({ random: fc.uint8Array({ maxLength: 40 }) }),
      ),
      fc.boolean(),
      async (target, change, keepLoaded) => {
        let seen = 0;
        fake.tamper = (response) => {
          if (seen++ !== target) return undefined;
          if ("rc" in change) return Buffer.concat([response.subarray(0, 2), u32(10), u32(change.rc)]);
          if ("random" in change) return Buffer.from(change.random);
          const out = mutate(response, change.mutations, 6);
          if (change.keepSize && out.length >= 6) out.writeUInt32BE(out.length, 2);
          return out;
        };
        const source = new TpmSource({ privateKey: fake.keyPem, tpm: { device: fake.device, keepLoaded } }, { commandTimeoutMs: 1000, connectTimeoutMs: 500 });
        const started = Date.now();
        try {
          const key = await source.key(undefined as never, { blocks: [], label: "" });
          for (let i = 0; i < 2; i++) {
            const signature = Buffer.from(await key.signer.sign(DATA));
            assert.ok(verify("sha256", DATA, fake.publicKey, signature), "a signature returned verifies");
          }
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          assert.ok(isTyped(error), `a typed error, got ${error}`);
        } finally {
          fake.tamper = undefined;
          await source.close();
          // A lying TPM may keep what it said it did not load: start the next run clean.
          fake.loaded.clear();
        }
        assert.ok(Date.now() - started < 5000, "bounded");
      },
    ),
    { numRuns: 1000 },
  );
});

test("mutated ReadPublic answers for a handle: its public key, or a typed error", async () => {
  // The fake knows no persistent handles: the honest answer is "no such handle", a lying one may claim any key.
  await fc.assert(
    fc.asyncProperty(publicArea, fc.array(mutation, { maxLength: 2 }), async (area, mutations) => {
      fake.tamper = (_response, _index, code) => {
        if (code !== 0x173) return undefined;
        const parameters = mutate(Buffer.concat([sized(area.bytes), sized(Buffer.alloc(34, 1)), sized(Buffer.alloc(34, 2))]), mutations);
        return Buffer.concat([u16(0x8001), u32(10 + parameters.length), u32(0), parameters]);
      };
      const source = new TpmSource({ privateKey: "handle:0x81000001", tpm: { device: fake.device, keyPassword: "" } }, { commandTimeoutMs: 1000 });
      try {
        const key = await source.key(undefined as never, { blocks: [], label: "" });
        assert.ok((await key.publicKey!()).asymmetricKeyType);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(isTyped(error), `a typed error, got ${error}`);
      } finally {
        fake.tamper = undefined;
        await source.close();
      }
    }),
    { numRuns: 500 },
  );
});
