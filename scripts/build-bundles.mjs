// Bundles what benefits from being one file: the CLI (start-up time) and the CommonJS build.
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning", legalComments: "none" };

await build({
  ...common,
  entryPoints: { certcreds: "src/cli/main.ts" },
  outdir: "dist/cli",
  outExtension: { ".js": ".mjs" },
  format: "esm",
  // Subcommands are imported lazily and land in their own chunks: a command loads only its code.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
});
await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/cjs/index.cjs", format: "cjs" });
