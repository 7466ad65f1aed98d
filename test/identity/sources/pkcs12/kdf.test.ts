import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { WorkLimitError } from "../../../../src/identity/sources/pkcs12/errors.js";
import { bmpPassword, DIGESTS, MAX_ITERATIONS, MAX_WORK, pkcs12Kdf, WorkBudget } from "../../../../src/identity/sources/pkcs12/kdf.js";
import { opensslUnavailable } from "../../../helpers/pkcs12.js";

const SHA1 = DIGESTS["2b0e03021a"]!;
const hex = (text: string) => Buffer.from(text, "hex");

test('PKCS#12 KDF (RFC 7292 appendix B.2): the published SHA-1 vectors ("smeg", "queeg")', async () => {
  const budget = new WorkBudget();
  const smeg = bmpPassword("smeg");
  assert.equal(smeg.toString("hex"), "0073006d006500670000", "BMPString with its two-byte terminator");
  assert.equal((await pkcs12Kdf(SHA1, smeg, hex("0a58cf64530d823f"), 1, 1, 24, budget)).toString("hex"), "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3");
  assert.equal((await pkcs12Kdf(SHA1, smeg, hex("0a58cf64530d823f"), 2, 1, 8, budget)).toString("hex"), "79993dfe048d3b76");
  assert.equal(
    (await pkcs12Kdf(SHA1, bmpPassword("queeg"), hex("05dec959acff72f7"), 1, 1000, 24, budget)).toString("hex"),
    "ed2034e36328830ff09df1e1a07dd357185dac0d4f9eb3d4",
  );
});

test("PKCS#12 KDF agrees with `openssl kdf PKCS12KDF` for every digest, id, and password and salt lengths around the block size", {
  skip: opensslUnavailable(),
}, async () => {
  const cases: [string, Buffer, Buffer, 1 | 2 | 3, number, number][] = [];
  for (const [oid, digest] of Object.entries(DIGESTS)) {
    for (const [password, saltLength, id, iterations, length] of [
      [bmpPassword(""), 8, 3, 1, digest.u],
      [Buffer.alloc(0), 8, 1, 3, 24],
      [bmpPassword("pässwörd 🔑"), 0, 2, 7, 8],
      [bmpPassword("x".repeat(31)), digest.v, 1, 2, 2 * digest.u + 5],
      [randomBytes(digest.v + 3), digest.v + 1, 3, 5, 3 * digest.u],
    ] as const) {
      cases.push([oid, password, randomBytes(saltLength), id, iterations, length]);
    }
  }
  for (const [oid, password, salt, id, iterations, length] of cases) {
    const digest = DIGESTS[oid]!;
    const args = ["kdf", "-keylen", String(length), "-kdfopt", `digest:${digest.name.toUpperCase()}`];
    // openssl kdf takes no empty hex option: an empty password or salt is written as an empty pass:/salt: value.
    args.push("-kdfopt", password.length ? `hexpass:${password.toString("hex")}` : "pass:");
    args.push("-kdfopt", salt.length ? `hexsalt:${salt.toString("hex")}` : "salt:");
    args.push("-kdfopt", `iter:${iterations}`, "-kdfopt", `id:${id}`, "-binary", "PKCS12KDF");
    const theirs = execFileSync("openssl", args);
    const ours = await pkcs12Kdf(digest, password, salt, id, iterations, length, new WorkBudget());
    assert.equal(ours.toString("hex"), theirs.toString("hex"), `${digest.name}, id ${id}, ${password.length}-byte password, ${salt.length}-byte salt`);
  }
});

test("the work budget refuses an absurd iteration count before any work, and caps the total of a file", async () => {
  const started = performance.now();
  await assert.rejects(pkcs12Kdf(SHA1, bmpPassword("x"), randomBytes(8), 3, 2 ** 31 - 1, 20, new WorkBudget()), WorkLimitError);
  assert.ok(performance.now() - started < 1000, "refused at once, not after hashing");
  const budget = new WorkBudget();
  budget.spend(MAX_ITERATIONS, 1);
  assert.throws(() => budget.spend(MAX_ITERATIONS + 1, 1), WorkLimitError, "above the per-derivation cap");
  for (let spent = MAX_ITERATIONS; spent + MAX_ITERATIONS <= MAX_WORK; spent += MAX_ITERATIONS) budget.spend(MAX_ITERATIONS, 1);
  assert.throws(() => budget.spend(MAX_ITERATIONS, 1), WorkLimitError, "past the total");
  assert.throws(() => new WorkBudget().spend(0, 1), /not a positive integer/);
});

test("a long derivation yields to the event loop (a server keeps answering while a file opens)", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await pkcs12Kdf(SHA1, bmpPassword("x"), randomBytes(8), 1, 300_000, 20, new WorkBudget());
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0, "timers ran during the derivation");
});
