#!/usr/bin/env node
// Thin launcher: the CLI is one bundled file so that start-up loads only what a command needs.
import { main } from "../dist/cli/certcreds.mjs";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`certcreds: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
