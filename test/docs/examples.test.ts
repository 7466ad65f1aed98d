/**
 * Every file of examples/ runs as its header says — with the variables of
 * `certcreds emulate` set, from the repository root — against the emulators,
 * and proves it got working credentials: its output names an assumed role
 * that the STS emulator answered. The TypeScript ones also type-check under
 * examples/tsconfig.json (strict, exactOptionalPropertyTypes).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requireBuild, ROOT } from "../helpers/cli.js";
import { AWS_CLI, createDocsWorld, type DocsWorld, makeDocDirs } from "./docs-world.js";
import { assertSucceeded, run } from "./run-blocks.js";

const DIR = join(ROOT, "examples");
const RUNNERS: Record<string, (file: string) => [string, string[]]> = {
  ".mjs": (file) => [process.execPath, [file]],
  ".cjs": (file) => [process.execPath, [file]],
  ".ts": (file) => [process.execPath, ["--import", "tsx", file]],
  ".sh": (file) => ["sh", [file]],
};
const extension = (name: string) => name.slice(name.lastIndexOf("."));
const EXAMPLES = readdirSync(DIR)
  .filter((name) => extension(name) in RUNNERS)
  .sort();
/** What every example prints once it has called STS with the credentials it got. */
const ASSUMED_ROLE = /arn:aws:sts::123456789012:assumed-role\/[\w+=,.@-]+\/\S+/;

let world: DocsWorld;
let home: string;
before(async () => {
  await requireBuild();
  world = await createDocsWorld();
  home = (await makeDocDirs(world, "examples")).home;
  await world.writeEmulateDir(join(home, "certcreds-try"));
});
after(() => world?.close());

describe("examples/", () => {
  test("there are examples in ESM, CommonJS, TypeScript and shell", () => {
    for (const kind of Object.keys(RUNNERS))
      assert.ok(
        EXAMPLES.some((name) => name.endsWith(kind)),
        `no ${kind} example in examples/`,
      );
  });

  for (const name of EXAMPLES) {
    test(`examples/${name}`, async (t) => {
      const extra: Record<string, string> = {};
      if (name.endsWith(".sh") && !AWS_CLI) return t.skip("the AWS CLI is not installed (apt-get install awscli)");
      if (name.includes("pkcs11")) {
        if ("unavailable" in world.pkcs11) return t.skip(world.pkcs11.unavailable);
        Object.assign(extra, world.pkcs11.env);
      }
      const [program, args] = RUNNERS[extension(name)]!(join("examples", name));
      const result = await run(program, args, { cwd: ROOT, env: world.env(home, { ...world.dirEnv(join(home, "certcreds-try")), ...extra }) });
      assertSucceeded(result, `examples/${name}`);
      assert.match(result.stdout, ASSUMED_ROLE, `examples/${name} should print the assumed role STS answered`);
    });
  }

  test("the TypeScript examples type-check (examples/tsconfig.json)", async () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    assertSucceeded(await run(process.execPath, [tsc, "-p", join(DIR, "tsconfig.json")], { cwd: ROOT, env: world.env(home) }), "tsc -p examples");
  });
});
