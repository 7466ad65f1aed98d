/**
 * The CLI's first file (dist/cli/certcreds.cjs, which bin/certcreds.js
 * requires): turns on Node's compile cache (compile-cache.ts), then requires
 * the launcher (dist/cli/launcher.cjs), so that the launcher itself is
 * compiled from the cache. Kept to these two steps: this file is the one
 * compiled at every run.
 */
import { enableCliCompileCache } from "./compile-cache.js";

enableCliCompileCache(process.argv.slice(2));
// A path the build keeps as it is (not bundled): the launcher is a file of its own.
require("./launcher.cjs");
