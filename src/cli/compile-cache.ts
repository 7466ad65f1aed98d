import { prepareCodeCacheDirectory } from "../core/code-cache/cache-file.js";
import { CODE_CACHE_VARIABLE, codeCacheSetting, invalidCodeCacheMessage } from "../core/code-cache/directory.js";
import { formatLogLine, requestedLogFormat, setLogFormat } from "./output/log-line.js";

/**
 * Turns on Node's compile cache for the CLI's own process, in certcreds' code
 * cache directory (`CERTCREDS_CODE_CACHE`, as for the library: default
 * `~/.cache/certcreds/code`, `off` for none). Node then keeps the compiled
 * code of the launcher, the CLI bundle and its chunks between runs: a warm
 * `credential-process` answers without compiling the launcher, and every
 * other command starts ≈ 10 % sooner (docs/performance.md). Node reads code
 * from that directory and runs it, so it is used only when it is this
 * user's alone (0700, not a link: the checks of the library's cache). The
 * process is certcreds' own: a library never turns this on for an
 * application. `NODE_COMPILE_CACHE` and `NODE_DISABLE_COMPILE_CACHE`, when
 * set, are Node's and win.
 */
export function enableCliCompileCache(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  try {
    const setting = codeCacheSetting(env);
    if ("off" in setting) {
      if (setting.invalid !== undefined) warnInvalid(setting.invalid, argv, env);
      return;
    }
    // Node ≥ 22.1 (Bun has it too; Deno has none, and gets no directory made for it).
    const { enableCompileCache } = process.getBuiltinModule("node:module") as { enableCompileCache?: (directory: string) => unknown };
    if (enableCompileCache && prepareCodeCacheDirectory(setting.directory)) enableCompileCache(setting.directory);
  } catch {
    // Only time is lost: the CLI runs as it would without a cache.
  }
}

function warnInvalid(value: string, argv: readonly string[], env: NodeJS.ProcessEnv): void {
  setLogFormat(requestedLogFormat(argv, env));
  process.stderr.write(formatLogLine("warn", "code-cache-invalid", invalidCodeCacheMessage(value), { variable: CODE_CACHE_VARIABLE }));
}
