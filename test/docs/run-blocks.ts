/**
 * How each kind of code block is run or checked:
 *
 * | block                                  | what the test does                                        |
 * | -------------------------------------- | --------------------------------------------------------- |
 * | `ts`                                   | runs it with tsx, and type-checks it (strict)             |
 * | `js` / `mjs`, `cjs`                    | runs it as an ES module / as CommonJS                     |
 * | `sh` / `bash`                          | runs it with `bash -e -o pipefail`                        |
 * | `sh background ready=PATH`             | starts it, waits for PATH, stops it after the page        |
 * | `… aws` / `… repo` / `… install`       | only checked: `bash -n` (and every `aws` command against the AWS CLI's own model), `node --check`, type-check |
 * | `sh emulated`                          | a step against AWS, run against emulators made from the page's own files |
 * | `text`, `ini`, `json`, `http`, `yaml`  | not run (output, file contents); `json` must parse         |
 *
 * `aws` = needs an AWS account; `repo` = acts on this repository (npm ci, npm test);
 * `install` = installs packages from the registry. Any other language fails the test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { CodeBlock } from "./markdown-blocks.js";

export const RUN_LANGS = { ts: "ts", typescript: "ts", js: "mjs", javascript: "mjs", mjs: "mjs", cjs: "cjs", sh: "sh", bash: "sh", shell: "sh" } as const;
export const DATA_LANGS = new Set(["text", "ini", "json", "http", "yaml"]);
/** Attributes that make a runnable block check-only, and why. */
export const CHECK_ONLY = { aws: "needs an AWS account", repo: "acts on this repository", install: "installs from the registry" } as const;

export type Kind = (typeof RUN_LANGS)[keyof typeof RUN_LANGS];

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A block's file name: `docs-cli-md-L120.ts`. */
export function blockFile(dir: string, block: CodeBlock, extension: string): string {
  return join(dir, `${block.file.replace(/[^A-Za-z0-9]+/g, "-")}-L${block.line}.${extension}`);
}

export async function writeBlock(dir: string, block: CodeBlock, kind: Kind): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = blockFile(dir, block, kind);
  await writeFile(path, block.code);
  return path;
}

function collect(child: ChildProcess, timeoutMs: number, what: string): Promise<Result> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs a program in its own process group (so a block's background jobs end with it). */
export function run(program: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<Result> {
  const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  return collect(child, options.timeoutMs ?? 90_000, `${program} ${args.join(" ")}`);
}

/** The command that runs a block file of `kind`. */
export function runner(kind: Kind, path: string): [string, string[]] {
  if (kind === "sh") return ["bash", ["-e", "-o", "pipefail", path]];
  if (kind === "ts") return [process.execPath, ["--import", "tsx", path]];
  return [process.execPath, [path]];
}

/** The command that only checks a block file of `kind` (ts blocks are type-checked together, see typeCheck). */
export function checker(kind: Kind, path: string): [string, string[]] | undefined {
  if (kind === "sh") return ["bash", ["-n", path]];
  if (kind === "ts") return undefined;
  return [process.execPath, ["--check", path]];
}

/** Fails with the block's output when it did not exit 0. */
export function assertSucceeded(result: Result, what: string): void {
  if (result.code === 0) return;
  const tail = (text: string) => (text.length > 4000 ? `…${text.slice(-4000)}` : text);
  throw new Error(`${what} exited ${result.code}\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`);
}

/** A `background` block: started, then stopped (its whole process group) after the last block of its page. */
export interface Background {
  stop(): Promise<void>;
}

export async function startBackground(path: string, ready: string, options: { cwd: string; env: Record<string, string>; home: string }): Promise<Background> {
  const target = ready.startsWith("~/") ? join(options.home, ready.slice(2)) : resolve(options.cwd, ready);
  // A stand-in left by the test (or an earlier run) must not pass for the block's own output.
  rmSync(target, { force: true });
  const child = spawn("bash", ["-e", "-o", "pipefail", path], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const exited = collect(child, 30 * 60_000, `background block ${path}`);
  exited.catch(() => {});
  const started = Date.now();
  while (!(existsSync(target) && statSync(target).size > 0)) {
    if (child.exitCode !== null) {
      const result = await exited;
      throw new Error(`the background block exited (${result.code}) before writing ${ready}\n${result.stdout}\n${result.stderr}`);
    }
    if (Date.now() - started > 60_000) throw new Error(`the background block did not write ${ready} within 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The file may still be being written: give the writer a moment.
  await new Promise((r) => setTimeout(r, 200));
  return {
    async stop() {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGTERM");
      await exited.catch(() => {});
    },
  };
}
