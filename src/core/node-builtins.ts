/**
 * `node:crypto`, loaded on first use. Loading it costs ~4 ms, paid by every
 * process that merely imports certcreds (or runs a CLI command answered from
 * its cache) if it were a static import; certcreds needs it only when it
 * parses, signs or hashes.
 */
export function nodeCrypto(): typeof import("node:crypto") {
  if (!loadedCrypto) loadedCrypto = loadBuiltin<typeof import("node:crypto")>("node:crypto");
  return loadedCrypto;
}

let loadedCrypto: typeof import("node:crypto") | undefined;

/** SHA-256 of a UTF-8 string, in hex: one-shot `crypto.hash` (Node ≥ 20.12) is several times cheaper than createHash for short inputs. */
export function sha256Hex(data: string): string {
  const crypto = nodeCrypto();
  const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;
  return oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data, "utf8").digest("hex");
}

/**
 * `node:fs`, through {@link loadBuiltin}: Node has loaded it already, but its ES
 * module facade would read every export, and the getters among them load
 * `fs/promises`, the file streams, `readline` and `os` (~2 ms at start-up).
 */
export function nodeFs(): typeof import("node:fs") {
  if (!loadedFs) loadedFs = loadBuiltin<typeof import("node:fs")>("node:fs");
  return loadedFs;
}

let loadedFs: typeof import("node:fs") | undefined;

/**
 * A built-in module's CommonJS exports. Not `import()`: the ES module facade of a
 * built-in reads every export, getters included, and `node:http`'s WebSocket,
 * CloseEvent and MessageEvent getters load undici, ~15 ms of compilation that
 * nothing here uses.
 */
export function loadBuiltin<T>(id: string): T {
  // Node ≥ 22.3 (the package requires 22.12), Bun and Deno. Not createRequire: importing node:module
  // loads it and Node's source-map support, for nothing here.
  return process.getBuiltinModule(id) as T;
}

/** The symbol `util.inspect` looks for, without loading `node:util`. */
export const inspectCustom: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;
