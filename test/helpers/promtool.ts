/**
 * The real `promtool` (Debian package prometheus, installed by .ci/run):
 * the exposition and the documented alert rules are checked by Prometheus's
 * own parser and linter, not by one written for the tests.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { which } from "./cli.js";

/** promtool's path; a test that needs it fails (never skips) without it. */
export function promtool(): string {
  const found = existsSync("/usr/bin/promtool") ? "/usr/bin/promtool" : which("promtool");
  if (!found) throw new Error("promtool is not installed: apt-get install prometheus (the Debian package .ci/run installs)");
  return found;
}

export interface PromtoolResult {
  code: number | null;
  /** Standard output and standard error together: any lint complaint or parse error. */
  output: string;
}

/** Runs promtool with `args`, `input` on its standard input. */
export function runPromtool(args: string[], input = ""): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool(), args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

/**
 * `promtool check metrics` on an exposition: throws unless it exits 0 with
 * no output at all (a lint complaint is printed with exit 3, a parse error
 * with exit 1).
 */
export async function assertPromtoolAccepts(exposition: string, what = "the exposition"): Promise<void> {
  const result = await runPromtool(["check", "metrics"], exposition);
  if (result.code !== 0 || result.output.trim() !== "") {
    throw new Error(`promtool check metrics refused ${what} (exit ${result.code}): ${result.output.trim()}\n--- exposition ---\n${exposition}`);
  }
}
