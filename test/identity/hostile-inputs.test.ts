/**
 * Inputs that would stall or exhaust a process: unterminated PEM blocks by
 * the million, devices and FIFOs given as files, files of gigabytes.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { InputReadError } from "../../src/core/errors.js";
import { MAX_MATERIAL_BYTES, readMaterial } from "../../src/identity/material.js";
import { parsePem } from "../../src/identity/pem.js";

/** The former parser: a lazy regular expression, quadratic on BEGIN lines without END, kept as the reference of what a parse yields. */
function referenceBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].map((m) => `${m[1]}|${m[0]}`);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-hostile-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("PEM: 8 MiB of BEGIN lines without END parses at once (it took minutes: quadratic)", { timeout: 10_000 }, () => {
  const text = "-----BEGIN CERTIFICATE-----\n".repeat((8 * 1024 * 1024) / 28);
  assert.deepEqual(parsePem(text), []);
  const mixed = `${"-----BEGIN CERTIFICATE-----\nMIIB\n".repeat(100_000)}-----END CERTIFICATE-----\n`;
  assert.equal(parsePem(mixed).length, 1);
});

test("PEM: the linear parser finds the blocks the reference finds, on thousands of generated texts", () => {
  const piece = fc.constantFrom(
    "-----BEGIN CERTIFICATE-----",
    "-----END CERTIFICATE-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----END EC PRIVATE KEY-----",
    "-----BEGIN X-----",
    "-----END X-----",
    "-----END -----",
    "-----BEGIN ",
    "-----",
    "MIIBaz==",
    "\n",
    " ",
    "Proc-Type: 4,ENCRYPTED\n\n",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
      const text = pieces.join("");
      assert.deepEqual(
        parsePem(text).map((block) => `${block.label}|${block.text}`),
        referenceBlocks(text),
      );
    }),
    { numRuns: 20_000 },
  );
});

test("files: a device, a FIFO and a directory are refused at once, with the input named", { timeout: 10_000 }, async () => {
  const fifo = join(dir, "pipe");
  execFileSync("mkfifo", [fifo]);
  for (const [path, why] of [
    ["/dev/zero", /is not a regular file/],
    [fifo, /is not a regular file/],
    [dir, /is a directory/],
  ] as const) {
    await assert.rejects(
      readMaterial(path, "certificate"),
      (error: unknown) => error instanceof InputReadError && error.input === "certificate" && why.test(error.message),
    );
  }
});

test("files: one larger than the cap is refused without being read whole", async () => {
  const big = join(dir, "big.pem");
  await writeFile(big, "");
  await truncate(big, MAX_MATERIAL_BYTES + 1);
  await assert.rejects(readMaterial(big, "privateKey"), (error: unknown) => error instanceof InputReadError && /larger than 2 MiB/.test(error.message));
  const fits = join(dir, "fits.pem");
  await writeFile(fits, "x".repeat(1000));
  assert.equal((await readMaterial(fits, "privateKey")).bytes.length, 1000);
});
