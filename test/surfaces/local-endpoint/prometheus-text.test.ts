/**
 * The text format writer alone, checked by the real promtool: label values
 * that would end the value or the line (a certificate's subject is chosen by
 * whoever issued it), HELP text, special float values, the histogram.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  escapeHelp,
  escapeLabelValue,
  ExpositionWriter,
  formatValue,
  Histogram,
  LabelledCounter,
} from "../../../src/surfaces/local-endpoint/prometheus-text.js";
import { assertPromtoolAccepts, runPromtool } from "../../helpers/promtool.js";

test("label values: backslash, double quote and line feed escaped, other control characters replaced", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeLabelValue("x\ry\u0000z\u007f\t"), "x\uFFFDy\uFFFDz\uFFFD\uFFFD");
  assert.equal(escapeLabelValue("CN=é 設備, O=Example"), "CN=é 設備, O=Example", "UTF-8 is kept");
  assert.equal(escapeHelp("a\\b\nc"), "a\\\\b\\nc");
  assert.deepEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.25, -3, 1e21].map(formatValue), [
    "NaN",
    "+Inf",
    "-Inf",
    "0.25",
    "-3",
    "1e+21",
  ]);
});

test("promtool accepts an exposition with hostile label values and special values; it refuses the same values unescaped", async () => {
  const hostile = ['"', "\\", "\n", '\\"\n', '"} 1\n# TYPE x counter\nx_total{a="', "\r\u0000", "\\n"];
  const counter = new LabelledCounter<"subject">(["subject"]);
  for (const subject of hostile) counter.inc({ subject });
  const histogram = new Histogram("t_duration_seconds", [0.01, 0.1, 1]);
  for (const value of [0.005, 0.05, 0.5, 5]) histogram.observe(value);
  const text = new ExpositionWriter()
    .family("t_hostile_total", "counter", 'Help with a backslash \\ and a line\nfeed and "quotes".', counter.samples())
    .family("t_special", "gauge", "Special values.", [
      { labels: { v: "nan" }, value: Number.NaN },
      { labels: { v: "inf" }, value: Number.POSITIVE_INFINITY },
    ])
    .family("t_duration_seconds", "histogram", "A histogram.", histogram.samples())
    .text();
  await assertPromtoolAccepts(text, "hostile label values");
  assert.equal(text.trimEnd().split("\n").length, 2 + hostile.length + (2 + 2) + (2 + 6), "one line per sample, none added by a value");
  assert.match(text, /^t_duration_seconds_bucket\{le="0\.1"\} 2$/m);
  assert.match(text, /^t_duration_seconds_bucket\{le="\+Inf"\} 4$/m);
  assert.match(text, /^t_duration_seconds_sum 5\.55\d*$/m);

  const unescaped = `# HELP t_raw_total Raw.\n# TYPE t_raw_total counter\nt_raw_total{subject="a"b\\c"} 1\n`;
  const refused = await runPromtool(["check", "metrics"], unescaped);
  assert.notEqual(refused.code, 0, "promtool would catch a value left unescaped");
});

test("a counter keeps one series per label set, in the order first counted", () => {
  const counter = new LabelledCounter<"a" | "b">(["a", "b"]);
  counter.inc({ a: "1", b: "2" });
  counter.inc({ b: "2", a: "1" }, 2);
  counter.inc({ a: "x", b: "y" }, 0);
  assert.deepEqual(counter.samples(), [
    { labels: { a: "1", b: "2" }, value: 3 },
    { labels: { a: "x", b: "y" }, value: 0 },
  ]);
  assert.equal(counter.get({ a: "1", b: "2" }), 3);
  assert.equal(counter.get({ a: "n", b: "o" }), 0);
});
