import { createRequire } from "node:module";

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

function loadBuiltin<T>(id: string): T {
  // process.getBuiltinModule: Node ≥ 20.16; createRequire covers older 20.x.
  const viaProcess = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.(id);
  return (viaProcess ?? createRequire(import.meta.url)(id)) as T;
}

/** The symbol `util.inspect` looks for, without loading `node:util`. */
export const inspectCustom: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;
