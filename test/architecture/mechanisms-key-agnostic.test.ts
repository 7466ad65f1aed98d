/**
 * Mechanisms never mention a key kind: the dependency rules see imports, this
 * sees words — a message or comment that names a key kind means the
 * mechanism knows about it, and a new key source would have to touch it.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const KEY_KINDS = /pkcs\s?#?11|aws-crt|awscrt|\btpm\b|pkcs\s?#?12/i;

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)])));
  return nested.flat();
}

test("no file under src/mechanisms names a key kind or a TLS backend", async () => {
  const found: string[] = [];
  const sources = await files(join(ROOT, "src", "mechanisms"));
  assert.ok(sources.length >= 8, "the mechanisms folder was found");
  for (const file of sources) {
    const lines = (await readFile(file, "utf8")).split("\n");
    lines.forEach((line, index) => {
      if (KEY_KINDS.test(line)) found.push(`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test("the check sees a key kind where one is named", () => {
  for (const line of ['import { x } from "../../identity/sources/pkcs11/x.js";', "// PKCS#11 keys go through aws-crt", "a TPM key"]) {
    assert.match(line, KEY_KINDS);
  }
  assert.doesNotMatch("the identity's tlsKey picks the backend", KEY_KINDS);
});
