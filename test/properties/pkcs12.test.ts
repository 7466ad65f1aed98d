/**
 * Property tests of the PKCS#12 reader: thousands of mutated files —
 * truncated, bytes flipped, inserted or removed, lengths rewritten, the
 * inside damaged under a valid MAC so the mutation reaches the decryption
 * and the bags — each gives the right identity or a typed CertcredsError,
 * never a raw exception, a crash or a hang.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { CertcredsError } from "../../src/core/errors.js";
import { loadIdentity, releaseIdentity } from "../../src/identity/load-identity.js";
import { createTestCertificateAuthority, type TestCertificate, type TestCertificateAuthority } from "../../testing/index.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable, writePfx } from "../helpers/pkcs12.js";

const now = new Date();
const PASSWORD = "property-password";
/** No single open may take longer: a mutation must never make the reader spin. */
const MAX_OPEN_MS = 5_000;

describe("PKCS#12 reader under mutation", { skip: opensslUnavailable() }, () => {
  let dir: string;
  let issuing: TestCertificateAuthority;
  let leaf: TestCertificate & { privateKeyPem: string };
  const files: Record<string, Buffer> = {};
  const outcomes = { ok: 0, typed: 0 };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certcreds-p12-prop-"));
    const root = await createTestCertificateAuthority();
    issuing = await root.createIntermediate();
    leaf = (await issuing.issue({ keyType: "ec-p256" })) as typeof leaf;
    const identity = { certificatePem: leaf.certificatePem, keyPem: leaf.privateKeyPem, chainPem: issuing.certificatePem };
    // Low iteration counts: the property is about structure, and thousands of opens must fit in the test's time.
    files.default = await readFile(await exportPkcs12(dir, "default.p12", { ...identity, password: PASSWORD, iterations: 1 }));
    files.nomac = await readFile(await exportPkcs12(dir, "nomac.p12", { ...identity, password: PASSWORD, nomac: true, iterations: 1 }));
    files.plain = await readFile(await exportPkcs12(dir, "plain.p12", { ...identity, unencrypted: true, nomac: true }));
    if (!opensslLegacyUnavailable())
      files.legacy = await readFile(await exportPkcs12(dir, "legacy.p12", { ...identity, password: PASSWORD, legacy: true, iterations: 1 }));
    files.ber = await writePfx({
      keys: [leaf.privateKey!],
      certificates: [leaf.certificate, issuing.certificate],
      password: PASSWORD,
      ber: true,
      iterations: 1,
      macIterations: 1,
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    // Both kinds of outcome happened: the mutations are neither all harmless nor all rejected at the first byte.
    assert.ok(outcomes.ok > 0 && outcomes.typed > 0, JSON.stringify(outcomes));
  });

  /** Opens bytes as a certificate: the right identity, or a typed error; anything else fails the property. */
  async function opensRightOrTyped(certificate: Uint8Array, passphrase: string | undefined): Promise<boolean> {
    const init = { certificate, ...(passphrase !== undefined ? { passphrase } : {}) };
    const started = performance.now();
    try {
      const identity = await loadIdentity(init, now);
      // A result is a consistent identity: a certificate with its key, and intermediates that link. Without a MAC (or
      // under one made over damaged content, as here) the file may hold another certificate of the same key.
      assert.ok(identity.certificate.checkPrivateKey(identity.privateKey!), "the certificate with its key");
      let child = identity.certificate;
      for (const parent of identity.chain) {
        assert.ok(child.checkIssued(parent) && child.verify(parent.publicKey), "the chain links");
        child = parent;
      }
      outcomes.ok++;
      return true;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      if (!(error instanceof CertcredsError)) throw new Error(`untyped error: ${(error as Error)?.name}: ${(error as Error)?.message}`);
      assert.ok(!error.message.includes("\n") && !error.message.includes(PASSWORD), "one line, no password");
      outcomes.typed++;
      return true;
    } finally {
      await releaseIdentity(init);
      assert.ok(performance.now() - started < MAX_OPEN_MS, "opened or refused in bounded time");
    }
  }

  /** Mutations of a whole file. */
  const mutated = (bytes: () => Buffer) =>
    fc.oneof(
      fc.nat().map((n) => bytes().subarray(0, n % (bytes().length + 1))),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
        const out = Buffer.from(bytes());
        for (const [at, mask] of flips) out[at % out.length]! ^= mask;
        return out;
      }),
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, extra]) => {
        const b = bytes();
        const i = at % b.length;
        return Buffer.concat([b.subarray(0, i), extra, b.subarray(i)]);
      }),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 16 })).map(([at, count]) => {
        const b = bytes();
        const i = at % b.length;
        return Buffer.concat([b.subarray(0, i), b.subarray(i + count)]);
      }),
      // A length byte rewritten as long form, indefinite, or huge.
      fc.tuple(fc.nat(), fc.constantFrom(0x80, 0x84, 0xff, 0x00, 0x7f, 0x83)).map(([at, value]) => {
        const out = Buffer.from(bytes());
        out[1 + (at % (out.length - 1))] = value;
        return out;
      }),
      fc.uint8Array({ maxLength: 64 }).map((tail) => Buffer.concat([bytes(), tail])),
    );

  for (const name of ["default", "legacy", "nomac", "plain", "ber"]) {
    test(`${name}: mutated files, with the right, a wrong or no password`, {
      timeout: 300_000,
      skip: name === "legacy" ? opensslLegacyUnavailable() : undefined,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          mutated(() => files[name]!),
          fc.constantFrom(PASSWORD, PASSWORD, "wrong", undefined),
          (bytes, passphrase) => opensRightOrTyped(bytes, passphrase),
        ),
        { numRuns: name === "default" || name === "nomac" ? 1500 : 800 },
      );
    });
  }

  test("the inside damaged under a valid MAC: the decryption, the bags and the key see every mutation", { timeout: 300_000 }, async () => {
    const damage = fc.oneof(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }).map((flips) => (authSafe: Buffer) => {
        const out = Buffer.from(authSafe);
        for (const [at, mask] of flips) out[at % out.length]! ^= mask;
        return out;
      }),
      fc.nat().map((n) => (authSafe: Buffer) => authSafe.subarray(0, n % (authSafe.length + 1))),
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 })).map(([at, extra]) => (authSafe: Buffer) => {
        const i = at % authSafe.length;
        return Buffer.concat([authSafe.subarray(0, i), extra, authSafe.subarray(i)]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(damage, fc.boolean(), async (mutateAuthSafe, plainKeys) => {
        const bytes = await writePfx({
          keys: [leaf.privateKey!],
          certificates: [leaf.certificate, issuing.certificate],
          password: PASSWORD,
          iterations: 1,
          macIterations: 1,
          plainKeys,
          mutateAuthSafe,
        });
        return opensRightOrTyped(bytes, PASSWORD);
      }),
      { numRuns: 1500 },
    );
  });

  test("arbitrary bytes that start like a PFX", { timeout: 120_000 }, async () => {
    const prefix = files.default!.subarray(0, 30);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (tail) => opensRightOrTyped(Buffer.concat([prefix, tail]), PASSWORD)),
      { numRuns: 1000 },
    );
  });
});
