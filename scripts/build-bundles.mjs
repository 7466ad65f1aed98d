// esbuild writes the JavaScript; tsc only the declarations (tsconfig.build.json).
// Bundling matters for start-up: one file parses faster than twenty modules, and
// code splitting keeps lazily imported parts (PKCS#11, CLI subcommands) out of
// the path of those who do not use them.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { eagerFunctions } from "./eager-functions.mjs";

// tsc (rootDir ".") writes the declarations of src/ under dist/src/ and of testing/ under dist/testing/;
// the package's types are dist/index.d.ts (package.json "types"), so the library's move up one level.
for (const name of readdirSync("dist/src")) renameSync(`dist/src/${name}`, `dist/${name}`);
rmdirSync("dist/src");

// keepNames: esbuild renames a class whose name collides in the bundle (Pkcs11Error became _Pkcs11Error), and
// error.name is part of what users see and match on.
const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning", legalComments: "none", keepNames: true };
// Native or heavy optional packages are never bundled: they load only when configured.
const optional = ["pkcs11js", "graphene-pk11", "aws-crt"];

// What `import "certcreds"` costs is mostly how many files Node's ES module loader reads and which
// built-ins they pull in, then their size. esbuild splits code into one chunk per set of entry points
// (the package entry and every `import()` target) that reach it, so the modules loaded at import ended
// up in as many chunks as there were combinations of lazy parts using them: eleven files, measured 5 ms
// slower than one. Every lazy part here imports the library's entry and the fetch runtime
// (src/mechanisms/runtime.ts): each module of the entry's closure is then reached by the same set and
// lands in one chunk, and so does each module of the runtime's. `import "certcreds"` reads two files,
// a first fetch one more, a PKCS#11 key its own.
const LIBRARY_ENTRY = resolve("src/index.ts");
const FETCH_RUNTIME = resolve("src/mechanisms/runtime.ts");
// The lazy parts: every file some module imports with import() (found in a first pass, since a file may
// be loaded through a static import before the import() that makes it lazy is seen).
const survey = await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outdir: "dist",
  format: "esm",
  splitting: true,
  packages: "external",
  write: false,
  metafile: true,
});
const lazyParts = new Set(
  Object.values(survey.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.kind === "dynamic-import" && !i.external).map((i) => resolve(i.path))),
);
const fewChunks = {
  name: "few-chunks",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!lazyParts.has(args.path)) return undefined;
      const shared = args.path === FETCH_RUNTIME ? [LIBRARY_ENTRY] : [LIBRARY_ENTRY, FETCH_RUNTIME];
      const contents = `${readFileSync(args.path, "utf8")}\n${shared.map((path) => `import ${JSON.stringify(path)};`).join("\n")}\n`;
      return { contents, loader: "ts", resolveDir: dirname(args.path) };
    });
  },
};

const CJS_WRAPPER = (target) =>
  `"use strict";\n// One copy of the library for import and require: this file hands require() the ES module.\nmodule.exports = require(${JSON.stringify(target)});\n`;
function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "cli" ? [] : declarationFiles(path);
    return entry.name.endsWith(".d.ts") ? [path] : [];
  });
}
mkdirSync("dist/cjs", { recursive: true });

// The library: one entry, its lazily imported parts in chunks.
// Minified: what a fresh process spends on certcreds before its first credentials is mostly V8 scanning,
// parsing and compiling this code (bench/cold-start), and shorter identifiers and no whitespace make that
// ~8 million instructions fewer of ~50. Without keepNames, whose __name() call for every function and class
// ran at import: the exported classes are named explicitly (nameClasses in core/errors.ts), as error.name
// and a session's inspected form show their names. A source map beside each file (positions and names, not the sources) serves `--enable-source-maps`.
const library = await build({
  ...common,
  keepNames: false,
  minify: true,
  sourcemap: "linked",
  sourcesContent: false,
  plugins: [fewChunks],
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  format: "esm",
  splitting: true,
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
});
// Node's entry (the package's "node" condition; bundlers, Bun and Deno take the modules above): the same
// library as one classic script, which src/core/code-cache/load-library.ts compiles through a V8 code cache.
// CommonJS as esbuild writes it, every lazily imported part inline (one script, one cache), the optional
// native packages left to require(). The hook that says when to make the cache is exported beside the API.
mkdirSync("dist/node", { recursive: true });
await build({
  ...common,
  keepNames: false,
  minify: true,
  sourcemap: "linked",
  sourcesContent: false,
  stdin: {
    contents: `export * from ${JSON.stringify(LIBRARY_ENTRY)};\nexport { afterFirstCredentials as __afterFirstCredentials } from ${JSON.stringify(resolve("src/core/code-cache/first-credentials.ts"))};\n`,
    resolveDir: resolve("."),
    sourcefile: "certcreds-script.ts",
    loader: "ts",
  },
  outfile: "dist/node/certcreds.cjs",
  format: "cjs",
  packages: "external",
  supported: { "dynamic-import": false },
});
// The entry itself: one file (each file Node's ES module loader reads costs), the loader and the API's names.
const apiNames = library.metafile.outputs["dist/index.js"].exports;
await build({
  ...common,
  keepNames: false,
  minify: true,
  stdin: {
    // Without a usable cache the ES modules, through import(): a top-level await, as require() of them from
    // here would give a second copy of every class under a loader hook (tsx) that handles require itself.
    contents: `import { loadLibrary, rememberLibrary } from ${JSON.stringify(resolve("src/core/code-cache/load-library.ts"))};\nconst script = new URL("./certcreds.cjs", import.meta.url);\nconst library = loadLibrary(script) ?? rememberLibrary(script, await import("../index.js"));\nexport const ${apiNames.map((name) => `${name} = library.${name}`).join(", ")};\n`,
    resolveDir: resolve("."),
    sourcefile: "node-entry.ts",
    loader: "ts",
  },
  outfile: "dist/node/index.js",
  format: "esm",
  packages: "external",
  external: ["../index.js"],
});
// Its twin for require(), which may not load a module with a top-level await: the same loader (the library
// it loads is shared through a global, so import and require in one process get one copy), else the ES
// modules through require(), as dist/cjs/index.cjs gives them.
await build({
  ...common,
  keepNames: false,
  minify: true,
  stdin: {
    contents: `const { loadLibrary, rememberLibrary } = require(${JSON.stringify(resolve("src/core/code-cache/load-library.ts"))});\nconst script = require("node:url").pathToFileURL(require("node:path").join(__dirname, "certcreds.cjs"));\nmodule.exports = loadLibrary(script) ?? rememberLibrary(script, require("../index.js"));\n`,
    resolveDir: resolve("."),
    sourcefile: "node-entry.cts",
    loader: "ts",
  },
  outfile: "dist/node/index.cjs",
  format: "cjs",
  packages: "external",
  external: ["../index.js"],
});
// The emulators and the test PKI share no code with the library (they verify it): one file of their own.
await build({ ...common, entryPoints: ["testing/index.ts"], outfile: "dist/testing/index.js", format: "esm", packages: "external" });
// require("certcreds") and require("certcreds/testing"): the ES modules themselves, through require(esm)
// (Node >= 22.12, Bun, Deno). A second build for CommonJS would hold a second copy of every class, and
// an application mixing import and require would see `instanceof` fail across them.
writeFileSync("dist/cjs/index.cjs", CJS_WRAPPER("../index.js"));
writeFileSync("dist/testing/index.cjs", CJS_WRAPPER("./index.js"));
// Declarations for require(): TypeScript reads a .d.ts under a "type": "module" package as an ES module,
// which a CommonJS project (module node16) may not import (TS1479). Each .d.ts gets a .d.cts twin whose
// relative imports name the twins.
for (const file of declarationFiles("dist")) {
  const text = readFileSync(file, "utf8").replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.js(["'])/g, "$1.cjs$2");
  writeFileSync(file.replace(/\.d\.ts$/, ".d.cts"), text);
}
// import.meta.url has no CommonJS meaning in the CLI launcher: the file's own path serves the same purpose (createRequire).
const cjsMeta = { define: { "import.meta.url": "__filename" } };
// The CLI: a self-contained program; subcommands are imported lazily and land in their own chunks.
await build({
  ...common,
  entryPoints: { certcreds: "src/cli/main.ts" },
  outdir: "dist/cli",
  outExtension: { ".js": ".mjs" },
  format: "esm",
  splitting: true,
  external: optional,
  chunkNames: "chunks/[name]-[hash]",
  banner: { js: "import { createRequire as __certcredsCreateRequire } from 'node:module'; const require = __certcredsCreateRequire(import.meta.url);" },
});
// The CLI's CommonJS launcher: answers a warm `credential-process` (fresh cache entry) without the
// ES module loader and without node:crypto (each costs milliseconds of start-up), else loads certcreds.mjs.
// It runs no command and loads nothing lazily but certcreds.mjs: bundled without chunks, every lazy
// import of the modules it shares with certcreds.mjs (the registry's command loaders, the PKCS#11 key
// source) would be inlined here, so they all point at one stub instead.
const noLazyImports = {
  name: "no-lazy-imports",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (args.kind === "dynamic-import" ? { path: "lazy", namespace: "no-lazy-imports" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "no-lazy-imports" }, () => ({
      contents: 'export {};\nthrow new Error("dist/cli/certcreds.cjs loads no command: dist/cli/certcreds.mjs does");',
      loader: "js",
    }));
  },
};
const launcher = await build({
  ...common,
  entryPoints: ["src/cli/launcher.ts"],
  outfile: "dist/cli/launcher.cjs",
  format: "cjs",
  ...cjsMeta,
  // No error class is on the warm path, and every kept name is a call at start-up.
  keepNames: false,
  external: optional,
  plugins: [noLazyImports],
  write: false,
});
// Compiled eagerly, so that Node's compile cache (turned on by the file below) holds all of it.
writeFileSync("dist/cli/launcher.cjs", eagerFunctions(launcher.outputFiles[0].text));
// The CLI's first file: turns on Node's compile cache in certcreds' private directory, then requires the
// launcher (src/cli/start.ts). bin/certcreds.js requires it; credential_process lines may name it.
await build({
  ...common,
  entryPoints: ["src/cli/start.ts"],
  outfile: "dist/cli/certcreds.cjs",
  format: "cjs",
  ...cjsMeta,
  keepNames: false,
  external: ["./launcher.cjs"],
});
