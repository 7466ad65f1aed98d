/** The shape of a standard-error line in each format, and where `--log-format` is read from before the settings. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatLogLine, parseLogFormat, rawLogFormat, requestedLogFormat } from "../../../src/cli/output/log-line.js";

describe("formatLogLine", () => {
  test("text: `certcreds <level>: message` (warn is `warning`), or the command's own wording; the fields are not shown", () => {
    assert.equal(formatLogLine("warn", "insecure-tls", "peer not verified", { host: "x" }, undefined, "text"), "certcreds warning: peer not verified\n");
    assert.equal(formatLogLine("debug", "cache-hit", "cached", {}, undefined, "text"), "certcreds debug: cached\n");
    assert.equal(
      formatLogLine("info", "update-written", "profile [p]", { profile: "p" }, "certcreds update: profile [p]", "text"),
      "certcreds update: profile [p]\n",
    );
  });

  test("json: one line, time/level/event/message first, then the fields; a field cannot replace them; undefined fields left out", () => {
    const text = formatLogLine(
      "error",
      "command-failed",
      "two\nlines",
      { exitCode: 3, code: undefined, message: "spoofed", level: "debug", names: ["a", "b"], ok: true },
      "ignored in json",
      "json",
    );
    assert.ok(text.endsWith("\n") && !text.slice(0, -1).includes("\n"), "one line");
    const line = JSON.parse(text);
    assert.deepEqual(Object.keys(line), ["time", "level", "event", "message", "exitCode", "names", "ok"]);
    assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 5000);
    assert.equal(line.level, "error");
    assert.equal(line.event, "command-failed");
    assert.equal(line.message, "two\nlines");
    assert.deepEqual(line.names, ["a", "b"]);
  });
});

describe("where the format comes from", () => {
  test("parseLogFormat: text or json, case and spaces ignored; anything else undefined; absent is text", () => {
    assert.equal(parseLogFormat(undefined), "text");
    assert.equal(parseLogFormat(" JSON "), "json");
    assert.equal(parseLogFormat("Text"), "text");
    for (const value of ["", "yaml", "jsonl", "json "]) assert.equal(parseLogFormat(value), value.trim() === "json" ? "json" : undefined, value);
  });

  test("before the settings: the last --log-format of the command line, else CERTCREDS_LOG_FORMAT; an unusable value is text", () => {
    assert.equal(requestedLogFormat(["serve", "--log-format", "json"], {}), "json");
    assert.equal(requestedLogFormat(["serve", "--log-format=json", "--log-format", "text"], {}), "text");
    assert.equal(requestedLogFormat(["serve"], { CERTCREDS_LOG_FORMAT: "json" }), "json");
    assert.equal(requestedLogFormat(["serve", "--log-format", "text"], { CERTCREDS_LOG_FORMAT: "json" }), "text");
    assert.equal(requestedLogFormat(["serve", "--log-format", "yaml"], { CERTCREDS_LOG_FORMAT: "json" }), "text");
    assert.equal(requestedLogFormat(["serve", "--log-format"], {}), "text");
  });

  test("emulate and demo: the flag, else the variable, each named when unusable", () => {
    assert.equal(rawLogFormat(undefined, {}), "text");
    assert.equal(rawLogFormat("json", { CERTCREDS_LOG_FORMAT: "text" }), "json");
    assert.equal(rawLogFormat(undefined, { CERTCREDS_LOG_FORMAT: "json" }), "json");
    assert.throws(() => rawLogFormat("xml", {}), { exitCode: 2, message: '--log-format "xml" is not a log format: use text or json.' });
    assert.throws(() => rawLogFormat(undefined, { CERTCREDS_LOG_FORMAT: "xml" }), {
      exitCode: 2,
      message: 'CERTCREDS_LOG_FORMAT "xml" is not a log format: use text or json.',
    });
  });
});
