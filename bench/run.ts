/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command
 * line), prints the figures and writes BENCHMARKS.md.
 */
import { readdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchFact, type Benchmark, type BenchRow, median, meetsGoal, ratios } from "./harness.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows: (BenchRow & { file: string })[] = [];
const facts: (BenchFact & { file: string })[] = [];
const started = Date.now();
for (const file of files) {
  const t0 = performance.now();
  process.stderr.write(`bench: ${file} ...`);
  const bench = (await import(join(here, file))).default as Benchmark;
  const output = await bench();
  for (const row of output.rows) rows.push({ ...row, file });
  for (const fact of output.facts) facts.push({ ...fact, file });
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));
const lines: string[] = [];
lines.push("# Benchmarks", "");
lines.push(`Written by \`npm run bench\` on ${new Date().toISOString()}.`, "");
lines.push(`- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
lines.push(`- Node.js ${process.version} on ${process.platform}/${process.arch}`);
lines.push(`- Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s`, "");
lines.push(
  "Each ratio is candidate ÷ baseline, paired round by round in the same run (the machine is noisy; absolute numbers from different moments are not comparable). min / median / max over the rounds; the goal is judged on the median.",
  "",
);
lines.push("| issue | figure | candidate | baseline | unit | rounds | ratio min | ratio median | ratio max | goal | met |");
lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) {
  const r = ratios(row);
  const med = median(r);
  const met = row.goal ? meetsGoal(row.goal, med) : undefined;
  lines.push(
    `| ${row.issue} | ${row.name} | ${row.candidate.label}: ${fmt(median(row.candidate.values))} | ${row.baseline.label}: ${fmt(median(row.baseline.values))} | ${row.unit} | ${r.length} | ${fmt(Math.min(...r))} | ${fmt(med)} | ${fmt(Math.max(...r))} | ${row.goal ?? ""} | ${met === undefined ? "" : met ? "yes" : "**no**"} |`,
  );
}
if (facts.length) {
  lines.push("", "| issue | figure | value | goal | met |", "| --- | --- | --- | --- | --- |");
  for (const fact of facts) {
    lines.push(`| ${fact.issue} | ${fact.name} | ${fact.value} | ${fact.goal ?? ""} | ${fact.met === undefined ? "" : fact.met ? "yes" : "**no**"} |`);
  }
}
const notes = rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
if (notes.length) lines.push("", "Notes:", "", ...notes);
lines.push("", `Benchmarks run: ${files.map((f) => basename(f)).join(", ")}.`, "");
const report = lines.join("\n");
process.stdout.write(`${report}\n`);
if (only.length === 0) await writeFile(join(here, "..", "BENCHMARKS.md"), report);
