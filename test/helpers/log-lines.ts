/**
 * What `--log-format json` promises of standard error: every line one JSON
 * object with `time` (RFC 3339 UTC with milliseconds), `level`, `event` and
 * `message`, then the event's fields.
 */
import assert from "node:assert/strict";

export interface JsonLogLine {
  time: string;
  level: "debug" | "info" | "warn" | "error";
  event: string;
  message: string;
  [field: string]: unknown;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LEVELS = ["debug", "info", "warn", "error"];

/** Parses standard error line by line, failing on any line that is not a log object (naming where, never printing a whole secret-bearing text). */
export function jsonLogLines(stderr: string, where: string): JsonLogLine[] {
  if (stderr === "") return [];
  assert.ok(stderr.endsWith("\n"), `${where}: standard error ends with a newline`);
  return stderr
    .slice(0, -1)
    .split("\n")
    .map((text, i) => {
      let line: JsonLogLine;
      try {
        line = JSON.parse(text) as JsonLogLine;
      } catch {
        assert.fail(`${where}: stderr line ${i + 1} is not JSON: ${text.slice(0, 120)}`);
      }
      assert.ok(line !== null && typeof line === "object" && !Array.isArray(line), `${where}: stderr line ${i + 1} is an object`);
      assert.deepEqual(Object.keys(line).slice(0, 4), ["time", "level", "event", "message"], `${where}: line ${i + 1} starts with time, level, event, message`);
      assert.match(line.time, TIME, `${where}: line ${i + 1} time is RFC 3339 UTC with milliseconds`);
      assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 10 * 60_000, `${where}: line ${i + 1} time is now`);
      assert.ok(LEVELS.includes(line.level), `${where}: line ${i + 1} level ${line.level}`);
      assert.match(line.event, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${where}: line ${i + 1} event name ${line.event}`);
      assert.notEqual(line.event, "log", `${where}: line ${i + 1} has an event name of its own (${line.message.slice(0, 80)})`);
      assert.equal(typeof line.message, "string", `${where}: line ${i + 1} message`);
      return line;
    });
}

/** The text of each field of each line, to search for secrets field by field. */
export function fieldTexts(lines: JsonLogLine[]): { field: string; text: string }[] {
  return lines.flatMap((line, i) =>
    Object.entries(line).map(([field, value]) => ({ field: `line ${i + 1} ${field}`, text: typeof value === "string" ? value : JSON.stringify(value) })),
  );
}
