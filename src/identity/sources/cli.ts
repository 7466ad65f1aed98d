import type { KeySourceCli } from "../key-source-cli.js";
import { certStoreCli } from "./cert-store/cli.js";
import { pkcs11Cli } from "./pkcs11/cli.js";
import { pkcs12Cli } from "./pkcs12/cli.js";
import { tpmCli } from "./tpm/cli.js";

/**
 * The key sources the command line reaches beyond key files, PEM text,
 * `env:VAR` and `-` (which the CLI reads itself). A new source adds its
 * entry here, beside its line in ./index.ts.
 */
export const KEY_SOURCE_CLIS = [pkcs11Cli, tpmCli, pkcs12Cli, certStoreCli] as const satisfies readonly KeySourceCli[];

type FlagsOf<T> = T extends { flags: infer F } ? keyof F : never;
/** The names of the flags the key sources add. */
export type KeySourceFlagName = FlagsOf<(typeof KEY_SOURCE_CLIS)[number]> & string;
