import type { KeySourceKind } from "../../key-source.js";

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
    return (await import("./source.js")).openFileSource(init);
  },
};
