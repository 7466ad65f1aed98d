import type { IdentityInit } from "../../identity-init.js";
import type { KeySourceArguments, KeySourceCli } from "../../key-source-cli.js";
import { TpmError } from "./errors.js";
import { namesTss2Key } from "./kind.js";

const SCHEME = "handle:";
const FLAGS = ["tpm-key-password", "no-tpm-key-password", "tpm-device"] as const;

/**
 * TPM 2.0 keys on the command line, in the words of AWS's
 * `aws_signing_helper`: `--private-key key.pem` holding a TSS2 key, or
 * `--private-key handle:0x81000002`, with `--tpm-key-password` /
 * `--no-tpm-key-password`; `--tpm-device` (or AWS's `TPM_DEVICE`) picks the TPM.
 */
export const tpmCli = {
  name: "tpm",
  scheme: SCHEME,
  form: "handle:0x81…",
  keyOnly: true,
  flags: {
    "tpm-key-password": { kind: "string", secret: true, help: "<password>  password of a TPM key (prefer CERTCREDS_TPM_KEY_PASSWORD: a flag shows in ps)" },
    "no-tpm-key-password": { kind: "boolean", help: "the TPM key has no password (needed for a handle: key without one)" },
    "tpm-device": { kind: "string", help: "<path|swtpm:host=H,port=P>  the TPM (default $TPM_DEVICE, else /dev/tpmrm0)" },
  } as const,
  claims: ({ privateKey, flag }: { certificate: string | undefined; privateKey: string | undefined; flag?: (name: string) => unknown }) => {
    if (privateKey === undefined) return false;
    if (privateKey.startsWith(SCHEME)) return true;
    // Standard input cannot be looked at before it is read: TPM flags beside it say the key is a TPM key.
    if (privateKey === "-") return flag !== undefined && FLAGS.some((name) => flag(name) !== undefined && flag(name) !== false);
    if (privateKey.startsWith("env:")) return namesTss2Key(process.env[privateKey.slice(4)]);
    return namesTss2Key(privateKey);
  },
  async identityInit(args: KeySourceArguments): Promise<IdentityInit> {
    const password = args.flag("tpm-key-password") as string | undefined;
    const noPassword = args.flag("no-tpm-key-password") === true;
    if (password !== undefined && noPassword) {
      // A usage error (exit 2), as any pair of flags that contradict each other.
      throw Object.assign(
        new TpmError("option", "tpm.keyPassword", "--tpm-key-password and --no-tpm-key-password both say what the TPM key's password is: keep one."),
        {
          exitCode: 2,
        },
      );
    }
    const device = args.flag("tpm-device") as string | undefined;
    const privateKey = args.privateKey?.startsWith(SCHEME) ? args.privateKey : await args.material("private-key");
    if (typeof privateKey === "string" && privateKey.startsWith(SCHEME)) (await import("./options.js")).parseHandle(privateKey);
    const certificate = await args.material("certificate");
    const chain = await args.material("intermediates");
    const tpm = {
      ...(device !== undefined && device !== "" ? { device } : {}),
      ...(noPassword ? { keyPassword: "" } : password !== undefined ? { keyPassword: password } : {}),
    };
    return {
      ...(certificate !== undefined ? { certificate } : {}),
      ...(chain !== undefined ? { certificateChain: chain } : {}),
      ...(privateKey !== undefined ? { privateKey } : {}),
      tpm,
    };
  },
  signStringRefusal:
    "sign-string signs with a key file, env:VAR or - (standard input); a TPM key signs with `tpm2_sign` (tpm2-tools) or `openssl pkeyutl -provider tpm2`.",
} satisfies KeySourceCli;
