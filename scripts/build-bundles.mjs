// esbuild writes the JavaScript; tsc only the declarations (tsconfig.build.json).
// Bundling matters for start-up: one file parses faster than twenty modules, and
// code splitting keeps lazily imported parts (PKCS#11, CLI subcommands) out of
// the path of those who do not use them.
import { readdirSync, renameSync, rmdirSync } from "node:fs";
import { build } from "esbuild";

// tsc (rootDir ".") writes the declarations of src/ under dist/src/ and of testing/ under dist/testing/;
// the package's types are dist/index.d.ts (package.json "types"), so the library's move up one level.
for (const name of readdirSync("dist/src")) renameSync(`dist/src/${name}`, `dist/${name}`);
rmdirSync("dist/src");

// keepNames: esbuild renames a class whose name collides in the bundle (Pkcs11Error became _Pkcs11Error), and
// error.name is part of what users see and match on.
const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning", legalComments: "none", keepNames: true };
// Native or heavy optional packages are never bundled: they load only when configured.
const optional = ["pkcs11js", "graphene-pk11", "aws-crt"];

// The library: ESM entries sharing chunks, so `certcreds` and `certcreds/testing` share one copy of each class.
await build({
  ...common,
  entryPoints: { index: "src/index.ts", "testing/index": "testing/index.ts" },
  outdir: "dist",
  format: "esm",
  splitting: true,
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
});
// The library for require().
// import.meta.url has no CommonJS meaning: the file's own path serves the same purpose (createRequire).
const cjsMeta = { define: { "import.meta.url": "__filename" } };
await build({ ...common, ...cjsMeta, entryPoints: ["src/index.ts"], outfile: "dist/cjs/index.cjs", format: "cjs", packages: "external" });
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
await build({
  ...common,
  entryPoints: ["src/cli/launcher.ts"],
  outfile: "dist/cli/certcreds.cjs",
  format: "cjs",
  ...cjsMeta,
  // No error class is on the warm path, and every kept name is a call at start-up.
  keepNames: false,
  external: optional,
  plugins: [noLazyImports],
});
