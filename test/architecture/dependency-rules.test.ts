/**
 * The dependency rules (`npm run check:deps`, .dependency-cruiser.cjs) can fail: the checker runs, with the
 * repository's config and the exact command CI uses, on a small tree in the target shape written to a temporary
 * directory — clean, then with one violation planted at a time. The repository's own tree is never touched.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";

const ROOT = resolve(import.meta.dirname, "..", "..");

type Tree = Record<string, string>;

/** One file per layer, importing what the rules allow, including the edges that are only just allowed. */
const CLEAN: Tree = {
  "src/core/errors.ts": `export class CertcredsError extends Error {}\n`,
  // A cycle through an `import type` does not exist at run time, so it is allowed.
  "src/core/clock.ts": `import type { Tick } from "./tick.js";\nexport const now = (): Tick => ({ at: Date.now() });\n`,
  "src/core/tick.ts": `import { now } from "./clock.js";\nexport type Tick = { at: number };\nexport const later = () => now().at + 1;\n`,
  "src/aws/arn.ts": `import { CertcredsError } from "../core/errors.js";\nexport const parseArn = (arn: string) => { if (!arn) throw new CertcredsError(); return arn; };\n`,
  "src/identity/key-source.ts": `import { parseArn } from "../aws/arn.js";\nexport type TlsKey = { kind: string };\nexport const check = parseArn;\n`,
  "src/identity/sources/pkcs11/index.ts": `import type { TlsKey } from "../../key-source.js";\nexport const tokenKey: TlsKey = { kind: "pkcs11" };\n`,
  "src/transport/mtls/index.ts": `import type { TlsKey } from "../../identity/key-source.js";\nexport const connect = (key: TlsKey) => key.kind;\n`,
  "src/mechanisms/attempt.ts": `import { connect } from "../transport/mtls/index.js";\nexport const attempt = connect;\n`,
  "src/mechanisms/iot/source.ts": `import { attempt } from "../attempt.js";\nimport { check } from "../../identity/key-source.js";\nexport const fetchCredentials = () => attempt({ kind: check("x") });\n`,
  "src/cache/cache.ts": `import { CertcredsError } from "../core/errors.js";\nexport const cached = new Map<string, CertcredsError>();\n`,
  "src/surfaces/provider.ts": `import { cached } from "../cache/cache.js";\nimport { fetchCredentials } from "../mechanisms/iot/source.js";\nexport const provider = () => cached.size + fetchCredentials().length;\n`,
  "src/index.ts": `export { provider } from "./surfaces/provider.js";\n`,
  "src/cli/main.ts": `import { provider } from "../index.js";\nexport const main = () => provider();\n`,
  "src/cli/commands/demo.ts": `export const runDemo = async () => (await import("../../../testing/index.js")).startEmulator();\n`,
  "testing/pki/ca.ts": `import { randomUUID } from "node:crypto";\nexport const issue = () => randomUUID();\n`,
  "testing/emulators/iot.ts": `import { issue } from "../pki/ca.js";\nexport const startEmulator = () => issue();\n`,
  "testing/index.ts": `export { startEmulator } from "./emulators/iot.js";\n`,
  "testing/demo/run.ts": `import { provider } from "../../src/index.js";\nexport const demo = () => provider();\n`,
};

/** Each planted violation, the files it adds or replaces, and the rules the checker must name. */
const PLANTED: { name: string; files: Tree; rules: string[] }[] = [
  {
    name: "an import cycle",
    files: {
      "src/surfaces/a.ts": `import { b } from "./b.js";\nexport const a = () => b();\n`,
      "src/surfaces/b.ts": `import { a } from "./a.js";\nexport const b = (): number => a();\n`,
    },
    rules: ["no-cycles"],
  },
  {
    name: "src/core importing src/cli (a layer climbed)",
    files: { "src/core/errors.ts": `import { main } from "../cli/main.js";\nexport class CertcredsError extends Error {}\nexport const m = main;\n` },
    rules: ["layer-core-imports-only-below", "no-cycles"],
  },
  {
    name: "testing/emulators importing src/",
    files: {
      "testing/emulators/iot.ts": `import { CertcredsError } from "../../src/core/errors.js";\nexport const startEmulator = () => new CertcredsError();\n`,
    },
    rules: ["testing-imports-nothing-of-src", "emulators-never-reach-src"],
  },
  {
    name: "a mechanism importing the PKCS#11 key source",
    files: {
      "src/mechanisms/iot/token.ts": `import { tokenKey } from "../../identity/sources/pkcs11/index.js";\nexport const key = tokenKey;\n`,
    },
    rules: ["mechanisms-know-no-key-kind"],
  },
  {
    name: "a mechanism importing aws-crt",
    files: { "src/mechanisms/iot/crt.ts": `export const loadCrt = () => import("aws-crt");\n` },
    rules: ["mechanisms-know-no-key-kind"],
  },
  {
    name: "a mechanism importing another mechanism's folder",
    files: { "src/mechanisms/roles-anywhere/source.ts": `import { fetchCredentials } from "../iot/source.js";\nexport const f = fetchCredentials;\n` },
    rules: ["mechanism-folders-independent"],
  },
  {
    name: "transport importing a value from identity",
    files: {
      "src/transport/mtls/index.ts": `import { check } from "../../identity/key-source.js";\nexport const connect = (key: { kind: string }) => check(key.kind);\n`,
    },
    rules: ["transport-sees-identity-types-only"],
  },
  {
    name: "the demo command importing testing/ statically",
    files: { "src/cli/commands/demo.ts": `import { startEmulator } from "../../../testing/index.js";\nexport const runDemo = async () => startEmulator();\n` },
    rules: ["cli-loads-testing-entry-lazily"],
  },
  {
    name: "another command importing testing/",
    files: { "src/cli/commands/serve.ts": `export const runServe = async () => (await import("../../../testing/index.js")).startEmulator();\n` },
    rules: ["library-does-not-import-testing"],
  },
  {
    name: "the demo importing library internals",
    files: { "testing/demo/run.ts": `import { cached } from "../../src/cache/cache.js";\nexport const demo = () => cached.size;\n` },
    rules: ["demo-imports-public-entry-only"],
  },
  {
    name: "production code importing test/",
    files: {
      "src/cache/cache.ts": `import { fake } from "../../test/helpers/fake.js";\nexport const cached = new Map<string, unknown>(fake);\n`,
      "test/helpers/fake.ts": `export const fake: [string, unknown][] = [];\n`,
    },
    rules: ["production-does-not-import-tests"],
  },
];

let workspace: string;
let command: string;

before(async () => {
  workspace = await mkdtemp(join(tmpdir(), "certcreds-dependency-rules-"));
  const scripts = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  command = scripts["check:deps"]!;
});

after(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/** Writes the tree, with the repository's checker config, into a fresh directory and runs `check:deps` there. */
async function check(name: string, tree: Tree): Promise<{ status: number | null; output: string; rules: Set<string> }> {
  const dir = join(workspace, name.replace(/[^a-z0-9]+/gi, "-"));
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await writeFile(join(dir, "package.json"), `{ "name": "fixture", "type": "module" }\n`);
  for (const file of [".dependency-cruiser.cjs", "tsconfig.json"]) await copyFile(join(ROOT, file), join(dir, file));
  const run = spawnSync("sh", ["-c", command], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env["PATH"] ?? ""}` },
  });
  const output = `${run.stdout}${run.stderr}`;
  const rules = new Set([...output.matchAll(/^\s*error ([\w-]+):/gm)].map((match) => match[1]!));
  return { status: run.status, output, rules };
}

test("the checker passes on a tree in the target shape", async () => {
  const result = await check("clean", CLEAN);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /no dependency violations found/);
});

for (const planted of PLANTED) {
  test(`the checker fails on ${planted.name}`, async () => {
    const result = await check(planted.name, { ...CLEAN, ...planted.files });
    assert.notEqual(result.status, 0, result.output);
    assert.deepEqual([...result.rules].sort(), [...planted.rules].sort(), result.output);
  });
}
