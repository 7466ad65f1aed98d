/**
 * The package as a user gets it: `npm pack`, installed into a fresh project,
 * then an ES module program, a CommonJS program (an emulator started from
 * require("certcreds/testing")) and TypeScript type checks under module
 * node16, nodenext and bundler, strict with exactOptionalPropertyTypes.
 * Also the footprint of a plain install: what it brings, its size, and that
 * no install script runs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(import.meta.dirname, "consumer");
let work: string;
let consumer: string;
let packed: { filename: string; files: { path: string }[] };

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0);
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" },
  });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "certcreds-pack-"));
  // dist/ is fresh (npm test builds first); prepack would build it again.
  [packed] = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], ROOT));
  consumer = join(work, "consumer");
  cpSync(FIXTURES, consumer, { recursive: true });
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  const started = performance.now();
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, packed.filename)], consumer);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `pack-install: npm install of the tarball in ${seconds.toFixed(1)} s, node_modules ${(sizeOf(join(consumer, "node_modules")) / 1e6).toFixed(2)} MB`,
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

test("the tarball holds the build, the declarations for import and require, the CLI and the license — no sources or tests", () => {
  const files = new Set(packed.files.map((file) => file.path));
  for (const path of [
    "dist/index.js",
    "dist/index.d.ts",
    "dist/index.d.cts",
    "dist/cjs/index.cjs",
    "dist/node/index.js",
    "dist/node/index.cjs",
    "dist/node/certcreds.cjs",
    "dist/testing/index.js",
    "dist/testing/index.cjs",
    "dist/testing/index.d.cts",
    "bin/certcreds.js",
    "dist/cli/certcreds.cjs",
    "dist/cli/launcher.cjs",
    "LICENSE",
    "README.md",
    "package.json",
  ]) {
    assert.ok(files.has(path), `${path} is in the tarball`);
  }
  assert.deepEqual(
    [...files].filter((path) => /^(src|test|testing|bench|scripts|\.ci)\//.test(path)),
    [],
  );
});

test("a plain install brings certcreds and its one runtime dependency, under 5 MB, running no install script", () => {
  const lock = JSON.parse(readFileSync(join(consumer, "package-lock.json"), "utf8")) as {
    packages: Record<string, { hasInstallScript?: boolean; peer?: boolean }>;
  };
  const installed = Object.keys(lock.packages)
    .filter((path) => path !== "")
    .sort();
  assert.deepEqual(installed, ["node_modules/@smithy/types", "node_modules/certcreds", "node_modules/tslib"]);
  assert.deepEqual(
    installed.filter((path) => lock.packages[path]!.hasInstallScript),
    [],
  );
  assert.ok(sizeOf(join(consumer, "node_modules")) < 5_000_000);
});

test("an ES module program: both mechanisms against the emulators, through import", () => {
  cpSync(join(ROOT, "test", "e2e", "library-e2e.mjs"), join(consumer, "e2e.mjs"));
  const out = run(process.execPath, ["e2e.mjs"], consumer);
  assert.match(out, /# \d+ steps passed/);
  assert.doesNotMatch(out, /not ok/);
});

test("a CommonJS program: require() of both entries, an emulator from certcreds/testing, one copy of each class", () => {
  const out = run(process.execPath, ["app.cjs"], consumer);
  assert.match(out, /cjs: IoT credentials ASIA/);
  assert.match(out, /one copy of each class/);
});

test("two installed copies of certcreds in one process (an application's and a dependency's) each load their own", () => {
  cpSync(join(consumer, "node_modules", "certcreds"), join(consumer, "vendored-certcreds"), { recursive: true });
  const program = `const a = await import("certcreds");
    const b = await import("./vendored-certcreds/dist/node/index.js");
    let own;
    try { b.fromRolesAnywhere({}); } catch (error) { own = error instanceof b.CertcredsError && !(error instanceof a.CertcredsError); }
    process.stdout.write(JSON.stringify({ distinct: a.CertcredsError !== b.CertcredsError, own }));`;
  writeFileSync(join(consumer, "two-copies.mjs"), program);
  assert.deepEqual(JSON.parse(run(process.execPath, ["two-copies.mjs"], consumer)), { distinct: true, own: true });
});

test("a damaged library script in an install: import and require still work, through the ES modules", () => {
  const script = join(consumer, "node_modules", "certcreds", "dist", "node", "certcreds.cjs");
  writeFileSync(script, `${readFileSync(script, "utf8").slice(0, 5000)}\n}}} a truncated copy`);
  const program = `const certcreds = await import("certcreds");
    const { createRequire } = await import("node:module");
    const required = createRequire(import.meta.url)("certcreds");
    process.stdout.write(JSON.stringify({ mode: globalThis[Symbol.for("certcreds.codeCacheStatus")]?.mode, same: required.CertcredsError === certcreds.CertcredsError, api: typeof certcreds.fromRolesAnywhere }));`;
  writeFileSync(join(consumer, "damaged.mjs"), program);
  assert.deepEqual(JSON.parse(run(process.execPath, ["damaged.mjs"], consumer)), { mode: "modules", same: true, api: "function" });
});

test("TypeScript type-checks the consumer under module node16, nodenext and bundler (strict, exactOptionalPropertyTypes)", () => {
  // The project's own compiler and Node types, as a consumer would have installed them.
  symlinkSync(join(ROOT, "node_modules", "typescript"), join(consumer, "node_modules", "typescript"), "dir");
  symlinkSync(join(ROOT, "node_modules", "@types"), join(consumer, "node_modules", "@types"), "dir");
  const strict = { strict: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: false, target: "es2022", types: ["node"] };
  const configs = {
    node16: { compilerOptions: { ...strict, module: "node16", moduleResolution: "node16" }, files: ["esm.mts", "cjs.cts"] },
    nodenext: { compilerOptions: { ...strict, module: "nodenext", moduleResolution: "nodenext" }, files: ["esm.mts", "cjs.cts"] },
    bundler: { compilerOptions: { ...strict, module: "esnext", moduleResolution: "bundler" }, files: ["esm.mts"] },
  };
  const tsc = join(consumer, "node_modules", "typescript", "bin", "tsc");
  for (const [name, config] of Object.entries(configs)) {
    writeFileSync(join(consumer, `tsconfig.${name}.json`), JSON.stringify(config));
    try {
      run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], consumer);
    } catch (error) {
      assert.fail(`module ${name}: ${(error as { stdout?: string }).stdout ?? error}`);
    }
  }
  // The declarations are really read: a misspelled option is a type error in both module systems.
  writeFileSync(
    join(consumer, "typo.mts"),
    `import { fromRolesAnywhere } from "certcreds";\nfromRolesAnywhere({ certificate: "c", trustAnchorArn: "a", profileArn: "p", roleArm: "r" });\n`,
  );
  writeFileSync(
    join(consumer, "typo.cts"),
    `import { fromIotCredentialProvider } from "certcreds";\nfromIotCredentialProvider({ endpoint: "e", roleAlias: "a", thingName: "t", certificate: "c", verifyPeer: undefined });\n`,
  );
  writeFileSync(join(consumer, "tsconfig.typo.json"), JSON.stringify({ compilerOptions: configs.node16.compilerOptions, files: ["typo.mts", "typo.cts"] }));
  const refused = (() => {
    try {
      run(process.execPath, [tsc, "-p", "tsconfig.typo.json"], consumer);
      return "";
    } catch (error) {
      return String((error as { stdout?: string }).stdout);
    }
  })();
  assert.match(refused, /typo\.mts.*'roleArm' does not exist/s);
  assert.match(refused, /typo\.cts.*exactOptionalPropertyTypes/s);
});
