import assert from "node:assert/strict";
import { test } from "node:test";
import { levelAllows } from "../../src/core/logger.js";

test("log levels include the ones above them", () => {
  assert.ok(levelAllows("trace", "debug"));
  assert.ok(levelAllows("warn", "error"));
  assert.ok(!levelAllows("warn", "info"));
  assert.ok(!levelAllows("none", "error"));
});
