import type { IdentityInit } from "../../identity-init.js";
import type { KeySourceArguments, KeySourceCli } from "../../key-source-cli.js";

const SCHEME = "pkcs11:";

/**
 * PKCS#11 on the command line, in the words of AWS's `aws_signing_helper`:
 * `--certificate` / `--private-key` as RFC 7512 `pkcs11:` URIs, with
 * `--pkcs11-lib` and `--reuse-pin`. The URI code loads only when one is given.
 */
export const pkcs11Cli = {
  name: "pkcs11",
  scheme: SCHEME,
  form: "pkcs11:URI",
  flags: {
    "pkcs11-lib": { kind: "string", path: true, help: "<file>  PKCS#11 module for pkcs11: URIs" },
    "reuse-pin": { kind: "boolean", help: "use the token's user PIN for keys that ask for it again (CKA_ALWAYS_AUTHENTICATE)" },
  } as const,
  // A PIN in a URI does not choose the credentials: it stays out of the cache key (and so of the file name).
  cacheKeyForm: (value: string) => (value.startsWith(SCHEME) ? value.replace(/([?&;]pin-value)=[^&]*/gi, "$1") : value),
  secretAdvice: "use pin-source=file:<path> in the URI, or set CERTCREDS_PKCS11_PIN in the environment the AWS CLI or SDK runs in",
  claims: ({ certificate, privateKey }: { certificate: string | undefined; privateKey: string | undefined }) =>
    certificate?.startsWith(SCHEME) === true || privateKey?.startsWith(SCHEME) === true,
  async identityInit(args: KeySourceArguments): Promise<IdentityInit> {
    const { pkcs11IdentityFromCli } = await import("./cli-options.js");
    const certificate = args.certificate?.startsWith(SCHEME) ? args.certificate : await args.material("certificate");
    const chain = await args.material("intermediates");
    const identity = pkcs11IdentityFromCli({
      certificate,
      privateKey: args.privateKey?.startsWith(SCHEME) ? args.privateKey : undefined,
      pkcs11Lib: args.flag("pkcs11-lib") as string | undefined,
      reusePin: args.flag("reuse-pin") === true,
    });
    return { ...identity, ...(chain !== undefined ? { certificateChain: chain } : {}) } as IdentityInit;
  },
  signStringRefusal: "sign-string signs with a key file, env:VAR or - (standard input); a key on a PKCS#11 token signs with `pkcs11-tool --sign`.",
} satisfies KeySourceCli;
