import { ConfigurationError } from "../../../core/errors.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySourceArguments, KeySourceCli } from "../../key-source-cli.js";

/**
 * PKCS#12 on the command line, as AWS's aws_signing_helper takes it:
 * `--certificate file.p12` without `--private-key`, plus `--pkcs12-password`.
 * Whether the file is PKCS#12 is decided by its content when it is read (a
 * PEM holding its key takes the same form), so this entry takes every
 * command line without a private key and passes the certificate as given.
 * Listed after the sources with a URI scheme, which claim theirs first.
 */
export const pkcs12Cli = {
  name: "pkcs12",
  flags: {
    "pkcs12-password": {
      kind: "string",
      secret: true,
      help: "<password>  password of a PKCS#12 --certificate (.p12/.pfx: certificate, key and chain in one file; prefer CERTCREDS_PKCS12_PASSWORD: a flag shows in ps)",
    },
  } as const,
  claims: ({ certificate, privateKey }: { certificate: string | undefined; privateKey: string | undefined }) =>
    certificate !== undefined && privateKey === undefined,
  async identityInit(args: KeySourceArguments): Promise<IdentityInit> {
    const certificate = await args.material("certificate");
    const chain = await args.material("intermediates");
    const pkcs12 = args.flag("pkcs12-password") as string | undefined;
    // Both fill the library's one passphrase; a PEM with an encrypted key beside the certificate takes --pkcs8-password.
    const pkcs8 = args.flag("pkcs8-password") as string | undefined;
    if (pkcs12 !== undefined && pkcs8 !== undefined && pkcs12 !== pkcs8) {
      throw new ConfigurationError(
        "pkcs12-password",
        "--pkcs12-password and --pkcs8-password (or CERTCREDS_PKCS12_PASSWORD and CERTCREDS_PKCS8_PASSWORD) are both set, to different values, for one certificate: keep the one of this file.",
      );
    }
    const passphrase = pkcs12 ?? pkcs8;
    return {
      ...(certificate !== undefined ? { certificate } : {}),
      ...(chain !== undefined ? { certificateChain: chain } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    };
  },
} satisfies KeySourceCli;
