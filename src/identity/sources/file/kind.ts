import type { KeySourceKind } from "../../key-source.js";
import type { openFileSource } from "./source.js";

// Set by the fetch runtime (src/mechanisms/runtime.ts), which holds the key parsing code: a source opened
// after the runtime loaded then opens without a second import() (one more module file to resolve, read and
// link on a first fetch).
let loaded: typeof openFileSource | undefined;

/** Hands the file kind the already loaded opener (called once by the fetch runtime). */
export function provideFileSource(open: typeof openFileSource): void {
  loaded = open;
}

/**
 * A key in this process: `privateKey` as a file path, PEM text or bytes
 * (read again at every refresh, so a renewed file is used), or the key block
 * beside the certificate in one PEM. The key parsing code loads when the
 * source opens, like every source's.
 */
export const fileKeySource: KeySourceKind = {
  name: "file",
  claims: () => true,
  async open(init) {
    return (loaded ?? (await import("./source.js")).openFileSource)(init);
  },
};
