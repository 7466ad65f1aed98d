import { nodeFs } from "../../../core/node-builtins.js";
import { Pkcs11Error } from "./errors.js";

/** Where p11-kit-proxy usually lives: the default module, as in AWS's helper. */
const P11_KIT_PROXY = [
  "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so",
  "/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so",
  "/usr/lib64/p11-kit-proxy.so",
  "/usr/lib/p11-kit-proxy.so",
  "/usr/local/lib/p11-kit-proxy.so",
  "/opt/homebrew/lib/p11-kit-proxy.dylib",
  "/usr/local/lib/p11-kit-proxy.dylib",
];

/** Directories searched for an RFC 7512 `module-name`. */
const MODULE_DIRECTORIES = [
  "/usr/lib/x86_64-linux-gnu/pkcs11",
  "/usr/lib/aarch64-linux-gnu/pkcs11",
  "/usr/lib64/pkcs11",
  "/usr/lib/pkcs11",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/usr/lib/softhsm",
  "/usr/local/lib",
];

/** The default PKCS#11 module: p11-kit-proxy where installed. */
export function defaultPkcs11Library(): string | undefined {
  return P11_KIT_PROXY.find((path) => nodeFs().existsSync(path));
}

/** The file of an RFC 7512 `module-name`, searched in the usual module directories. */
export function moduleByName(name: string, option: string): string {
  const suffixes = process.platform === "darwin" ? [".dylib", ".so"] : [".so"];
  for (const dir of MODULE_DIRECTORIES) {
    for (const base of [name, `lib${name}`]) {
      for (const suffix of suffixes) {
        const path = `${dir}/${base}${suffix}`;
        if (nodeFs().existsSync(path)) return path;
      }
    }
  }
  throw new Pkcs11Error(
    "library",
    option,
    `module-name=${name} in ${option}: no ${name}${suffixes[0]} or lib${name}${suffixes[0]} found in ${MODULE_DIRECTORIES.join(", ")}. Give the file with module-path=/path/to/module.so instead.`,
  );
}
