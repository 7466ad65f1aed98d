/**
 * Docs that cannot rot: every fenced code block of README.md, docs/*.md,
 * examples/README.md and CONTRIBUTING.md is run (or, when it needs an AWS account, checked)
 * against the emulators, in page order, each page in its own working
 * directory and HOME. How each kind of block is treated: run-blocks.ts.
 * The last test reports how many blocks ran and how many were only checked.
 *
 * Blocks that use a command not in `certcreds --help` yet (`configure`,
 * `emulate`) are skipped with a note naming the command, and run as soon as
 * the command exists.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FLAGS } from "../../src/cli/config/flags.js";
import { BIN, requireBuild, ROOT, which } from "../helpers/cli.js";
import { awsCliPython, awsCommands, checkAwsCommands, shellCommands } from "./aws-commands.js";
import { AWS_CLI, createDocsWorld, type DocsWorld, makeDocDirs } from "./docs-world.js";
import { type Emulated, emulateGuide } from "./guides.js";
import { type CodeBlock, readBlocks, where } from "./markdown-blocks.js";
import {
  assertSucceeded,
  type Background,
  CHECK_ONLY,
  type Kind,
  checker,
  DATA_LANGS,
  RUN_LANGS,
  run,
  runner,
  startBackground,
  writeBlock,
} from "./run-blocks.js";
import { checkLinks } from "./links.js";

const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
  ...(existsSync(join(ROOT, "examples", "README.md")) ? ["examples/README.md"] : []),
  "CONTRIBUTING.md",
];
/** What some blocks use before it exists (another change brings it): the block waits, skipped with a note. */
const PENDING: { pattern: RegExp; what: string; available: () => boolean }[] = [
  { pattern: /\bcertcreds\s+configure\b/, what: '"certcreds configure"', available: () => commands.has("configure") },
  { pattern: /\bcertcreds\s+emulate\b/, what: '"certcreds emulate"', available: () => commands.has("emulate") },
  {
    pattern: /require\(["']certcreds\/testing["']\)/,
    what: 'require("certcreds/testing")',
    available: () => Boolean(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).exports?.["./testing"]?.require),
  },
];

/** Programs some blocks run, and the Debian package of each (what .ci/run installs). */
const TOOLS: Record<string, string> = { aws: "awscli", openssl: "openssl", "pkcs11-tool": "opensc" };

/** The programs of TOOLS a block runs that are not installed here. */
function missingTools(code: string): string[] {
  const used = new Set(shellCommands(code).map((words) => words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))));
  return Object.keys(TOOLS).filter((tool) => used.has(tool) && !(tool === "aws" ? AWS_CLI : which(tool)));
}

const tally = { ran: 0, checked: 0, skipped: 0, data: 0 };
const notes: string[] = [];
const typeScriptFiles: string[] = [];
let world: DocsWorld;
let commands: Set<string>;
let awsModel: ReturnType<typeof awsCliPython>;

before(async () => {
  await requireBuild();
  world = await createDocsWorld();
  const help = execFileSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
  commands = new Set([...help.matchAll(/^ {2}([a-z][a-z-]*(?: [a-z]+)?)\s{2,}/gm)].map((m) => m[1]!));
  awsModel = awsCliPython();
});
after(() => world?.close());

function classify(block: CodeBlock): keyof typeof tally {
  if (DATA_LANGS.has(block.lang)) return "data";
  if (!(block.lang in RUN_LANGS)) {
    throw new Error(`${where(block)}: give the block a language the docs test knows (${[...Object.keys(RUN_LANGS), ...DATA_LANGS].join(", ")})`);
  }
  return Object.keys(CHECK_ONLY).some((flag) => block.flags.has(flag)) ? "checked" : "ran";
}

function checkData(block: CodeBlock): void {
  if (block.lang === "json") JSON.parse(block.code);
  if (block.lang === "ini" && block.flags.has("certcreds-config")) {
    for (const line of block.code.split("\n")) {
      const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line)?.[1]?.replace(/_/g, "-");
      if (key !== undefined) assert.ok(key in FLAGS, `${where(block)}: "${key}" is not a certcreds flag`);
    }
  }
}

async function check(block: CodeBlock, path: string, kind: Kind) {
  const command = checker(kind, path);
  if (command) assertSucceeded(await run(command[0], command[1], { cwd: dirname(path), env: world.env(world.root) }), where(block));
  if (kind !== "sh") return;
  const found = awsCommands(block.code);
  if ("unavailable" in awsModel) {
    if (found.length > 0) notes.push(`${where(block)}: ${found.length} aws command(s) not checked against the CLI model: ${awsModel.unavailable}`);
    return;
  }
  const problems = checkAwsCommands(awsModel.python, found);
  assert.deepEqual(problems, [], `${where(block)}: ${problems.join("; ")}`);
}

for (const page of PAGES) {
  const blocks = readBlocks(join(ROOT, page), page);
  describe(page, () => {
    let dirs: { cwd: string; home: string } | undefined;
    const running: Background[] = [];
    const emulated: Emulated[] = [];
    after(async () => {
      for (const job of running.reverse()) await job.stop();
      for (const e of emulated) await e.close();
    });

    for (const block of blocks) {
      test(where(block), async (t) => {
        if (!dirs) {
          dirs = await makeDocDirs(world, page.replace(/[^A-Za-z0-9]+/g, "-"));
          // What `certcreds emulate --dir ~/certcreds-try` leaves, for pages that source it (a page's own
          // emulate block, once the command exists, replaces it with its own).
          await world.writeEmulateDir(join(dirs.home, "certcreds-try"));
        }
        const { home } = dirs;
        // examples/README.md's commands name the examples from the repository root, as a reader runs them.
        const cwd = page.startsWith("examples/") ? ROOT : dirs.cwd;
        const kind = classify(block);
        if (kind === "data") {
          checkData(block);
          tally.data++;
          return;
        }
        const lang = RUN_LANGS[block.lang as keyof typeof RUN_LANGS];
        const path = await writeBlock(join(world.root, "blocks"), block, lang);
        if (lang === "ts") typeScriptFiles.push(path);
        if (kind === "checked") {
          await check(block, path, lang);
          tally.checked++;
          return;
        }
        const pending = PENDING.find((p) => p.pattern.test(block.code) && !p.available());
        if (pending) {
          const note = `${where(block)}: skipped until ${pending.what} exists`;
          notes.push(note);
          tally.skipped++;
          t.skip(note);
          return;
        }
        const missing = lang === "sh" ? missingTools(block.code) : [];
        if (missing.length > 0) {
          const note = `${where(block)}: skipped: ${missing.join(", ")} not installed (apt-get install ${missing.map((m) => TOOLS[m]).join(" ")})`;
          notes.push(note);
          tally.skipped++;
          t.skip(note);
          return;
        }
        let extra: Record<string, string> = { ...world.dirEnv(join(home, "certcreds-try")), ...block.env };
        if (block.flags.has("pkcs11")) {
          if ("unavailable" in world.pkcs11) {
            const note = `${where(block)}: skipped: ${world.pkcs11.unavailable}`;
            notes.push(note);
            tally.skipped++;
            t.skip(note);
            return;
          }
          extra = { ...extra, ...world.pkcs11.env };
        }
        if (block.flags.has("emulated")) {
          const e = await emulateGuide(page, cwd, world);
          emulated.push(e);
          extra = { ...extra, ...e.env };
        }
        const env = world.env(home, extra);
        if (block.flags.has("background")) {
          const ready = block.options.get("ready");
          assert.ok(ready, `${where(block)}: a background block needs ready=<file it writes when it is up>`);
          assert.equal(lang, "sh", `${where(block)}: only sh blocks run in the background`);
          running.push(await startBackground(path, ready, { cwd, env, home }));
        } else {
          const [program, args] = runner(lang, path);
          assertSucceeded(await run(program, args, { cwd, env }), where(block));
        }
        tally.ran++;
      });
    }
  });
}

test("TypeScript blocks type-check (strict)", async () => {
  assert.ok(typeScriptFiles.length > 0, "no TypeScript block was found");
  const config = join(world.root, "blocks", "tsconfig.json");
  const { writeFile } = await import("node:fs/promises");
  await writeFile(
    config,
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] },
      files: typeScriptFiles,
    }),
  );
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  assertSucceeded(await run(process.execPath, [tsc, "-p", config], { cwd: world.root, env: world.env(world.root) }), "tsc over the TypeScript blocks");
});

test("README.md stays under 300 lines, and relative links of every page resolve", () => {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n").length;
  assert.ok(lines <= 300, `README.md has ${lines} lines; move detail into docs/`);
  assert.deepEqual(checkLinks(ROOT, PAGES), []);
});

test("summary: blocks executed vs only checked", (t) => {
  const line = `code blocks in ${PAGES.length} pages: ${tally.ran} executed, ${tally.checked} marked and only checked (aws/repo/install), ${tally.skipped} skipped, ${tally.data} output/data blocks not run`;
  t.diagnostic(line);
  for (const note of notes) t.diagnostic(note);
  console.log(line);
  for (const note of notes) console.log(`  note: ${note}`);
  assert.ok(tally.ran > 0, "no block was executed");
});
