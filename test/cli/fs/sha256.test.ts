import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { sha256Hex } from "../../../src/cli/fs/sha256.js";

test("the warm path's SHA-256 equals node:crypto's", () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 4096, 70_000]) {
    const data = randomBytes(size);
    assert.equal(sha256Hex(data), createHash("sha256").update(data).digest("hex"), `${size} bytes`);
  }
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
