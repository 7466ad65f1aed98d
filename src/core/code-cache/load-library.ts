import { nodeFs } from "../node-builtins.js";
import { prepareCodeCacheDirectory, readCodeCache, sha256, writeCodeCache } from "./cache-file.js";
import { CODE_CACHE_VARIABLE, codeCacheSetting, invalidCodeCacheMessage } from "./directory.js";

/**
 * How `import "certcreds"` loaded the library in this process (for tests and `doctor`-style diagnostics):
 * - `cached`: the library script, compiled from the code cache;
 * - `compiled`: the library script, compiled from its source; a cache is written after the first credentials;
 * - `modules`: the ES modules (code cache off, its directory not writable by this user alone, or source maps on).
 */
export interface CodeCacheStatus {
  mode: "cached" | "compiled" | "modules";
  directory?: string;
  /** V8 refused the data of a matching file (another Node build or flags); it is written again. */
  rejected?: boolean;
}

/** Where the status is kept: a global symbol, so tests and diagnostics read it without an export in the API. */
export const CODE_CACHE_STATUS = Symbol.for("certcreds.codeCacheStatus");

function record(status: CodeCacheStatus): void {
  (globalThis as Record<symbol, unknown>)[CODE_CACHE_STATUS] = status;
}

// The script is CommonJS as esbuild writes it; on a line of its own so that its positions are the file's.
const WRAPPER = "(function (exports, require, module, __filename, __dirname) {\n";

/**
 * Loads certcreds for `import "certcreds"` on Node. A fresh process spends
 * most of its first fetch on V8 parsing and compiling certcreds' functions
 * (docs/performance.md, "Cold start"); Node's own compile cache cannot help,
 * as it stores a module's code before any of it ran. So the library is also
 * built as one classic script (`script`), compiled through `vm.Script`, and
 * after the process's first credentials from a mechanism V8's code for it,
 * every function the fetch compiled included, is kept in a private cache
 * directory (cache-file.ts). The next process compiles from that data.
 *
 * Without a usable cache directory (`CERTCREDS_CODE_CACHE=off`, a read-only
 * home, another user's directory), and with `--enable-source-maps`, this
 * returns undefined and the entry loads the ES modules, as bundlers, Bun and
 * Deno do through the package's export conditions.
 */
export function loadLibrary(script: URL): Record<string, unknown> | undefined {
  // One library per process and installed copy, whichever entry (import or require) loads it first.
  const key = loadedKey(script);
  let loaded = (globalThis as Record<symbol, Loaded | undefined>)[key];
  if (!loaded) {
    loaded = { exports: loadOrModules(script) };
    (globalThis as Record<symbol, unknown>)[key] = loaded;
  }
  return loaded.exports;
}

/**
 * For an entry that loaded the ES modules itself (after {@link loadLibrary} returned undefined): keeps them as
 * the process's library, or returns the copy another entry kept first. Under a loader hook that handles
 * require() itself (tsx), import and require of the modules would give two copies of every class.
 */
export function rememberLibrary(script: URL, library: Record<string, unknown>): Record<string, unknown> {
  const loaded = (globalThis as Record<symbol, Loaded | undefined>)[loadedKey(script)];
  if (!loaded) return library;
  loaded.exports ??= library;
  return loaded.exports;
}

interface Loaded {
  exports: Record<string, unknown> | undefined;
}

/** Keyed by the script's location: two installed versions of certcreds in one process (an application's, a dependency's) stay apart. */
function loadedKey(script: URL): symbol {
  return Symbol.for(`certcreds.library ${script.href}`);
}

/** The script, or the ES modules when anything on the way fails (a damaged script file): importing certcreds never fails for its cache. */
function loadOrModules(script: URL): Record<string, unknown> | undefined {
  try {
    return load(script);
  } catch {
    return modules();
  }
}

function load(script: URL): Record<string, unknown> | undefined {
  const setting = codeCacheSetting();
  if ("off" in setting) {
    if (setting.invalid !== undefined) {
      process.emitWarning(invalidCodeCacheMessage(setting.invalid), { code: CODE_CACHE_VARIABLE });
    }
    return modules();
  }
  // Node maps stack traces through the ES modules' source maps, not through a vm script's: with
  // --enable-source-maps (someone debugging) the modules are loaded, so traces name certcreds' sources.
  if (process.sourceMapsEnabled) return modules();
  const { fileURLToPath } = process.getBuiltinModule("node:url");
  const path = fileURLToPath(script);
  let source: Buffer;
  try {
    source = nodeFs().readFileSync(path);
  } catch {
    return modules();
  }
  const sourceDigest = sha256(source);
  const cache = readCodeCache(setting.directory, sourceDigest);
  // A script compiled without a cache costs more than the modules (all of it is parsed at once): only worth
  // it when the cache it makes can be kept.
  if (!cache && !prepareCodeCacheDirectory(setting.directory)) return modules();
  const { Script } = process.getBuiltinModule("node:vm");
  const compiled = new Script(`${WRAPPER}${source.toString("utf8")}\n})`, {
    filename: path,
    lineOffset: -1,
    ...(cache ? { cachedData: cache.payload } : {}),
  });
  const library = { exports: {} as Record<string, unknown> };
  let scriptRequire: NodeJS.Require | undefined;
  // Only the optional native packages (pkcs11js, aws-crt) are required; node:module loads when one is.
  const requireFromScript = ((id: string) => {
    scriptRequire ??= process.getBuiltinModule("node:module").createRequire(path);
    return scriptRequire(id);
  }) as NodeJS.Require;
  compiled.runInThisContext()(library.exports, requireFromScript, library, path, process.getBuiltinModule("node:path").dirname(path));
  const rejected = cache !== undefined && compiled.cachedDataRejected === true;
  record({ mode: cache && !rejected ? "cached" : "compiled", directory: setting.directory, ...(rejected ? { rejected } : {}) });
  // The cache holds the code of the mechanisms whose first fetch had run when it was made. A process whose
  // mechanism is not among them (a host running both, a cache made by the other) compiles that code itself,
  // then writes the cache again with it: once per mechanism, not at every start.
  const covered = new Set(cache && !rejected ? cache.mechanisms : []);
  const afterFirstCredentials = library.exports.__afterFirstCredentials as ((hook: (mechanism: string) => void) => void) | undefined;
  afterFirstCredentials?.((mechanism) => {
    if (covered.has(mechanism)) return;
    covered.add(mechanism);
    // After the credentials are handed over, not before: the caller does not wait for the cache.
    setImmediate(() => {
      try {
        writeCodeCache(setting.directory, sourceDigest, { payload: compiled.createCachedData(), mechanisms: [...covered] });
      } catch {
        // Only time is lost: the next process compiles from source and tries again.
      }
    });
  });
  return library.exports;
}

/** The ES modules: undefined, for the entry to import them itself (import() from the ES entry, so a loader hook such as tsx's sees one copy). */
function modules(): undefined {
  record({ mode: "modules" });
  return undefined;
}
