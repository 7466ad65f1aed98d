/**
 * A real SoftHSM2 token for tests, initialised at test time in a temporary
 * directory (SOFTHSM2_CONF points there, for this process and the tools it
 * runs). Keys are generated on the token (pkcs11-tool --keypairgen) or
 * generated here and imported; certificates are issued for the token's
 * public keys by the test CA of testing/pki/.
 *
 * SoftHSM2 lists tokens once per process, at C_Initialize: create every
 * token a test file needs (createSoftHsm({ tokens })) before the first use
 * of the PKCS#11 module. Objects may be added at any time.
 */
import { execFile } from "node:child_process";
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const LIBRARY_PATHS = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib64/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
];

/** Why SoftHSM2 tests cannot run here, or undefined when they can. */
export function softHsmUnavailable(): string | undefined {
  const library = LIBRARY_PATHS.find((path) => existsSync(path));
  if (!library) return `SoftHSM2 is not installed (no libsofthsm2.so in ${LIBRARY_PATHS.join(", ")}): apt-get install softhsm2 opensc`;
  for (const tool of ["softhsm2-util", "pkcs11-tool"]) {
    if (!["/usr/bin", "/usr/local/bin", "/bin"].some((dir) => existsSync(join(dir, tool)))) {
      return `${tool} is not installed: apt-get install softhsm2 opensc`;
    }
  }
  return undefined;
}

/** Key types the helper puts on tokens. */
export type TokenKeyType = "rsa-2048" | "rsa-1024" | "ec-p256" | "ec-p384" | "ed25519";

const KEYGEN_TYPES: Record<TokenKeyType, string> = {
  "rsa-2048": "rsa:2048",
  "rsa-1024": "rsa:1024",
  "ec-p256": "EC:prime256v1",
  "ec-p384": "EC:secp384r1",
  ed25519: "EC:edwards25519",
};

export interface TokenSpec {
  label: string;
  pin: string;
}

export interface KeyOptions {
  /** CKA_ID as hex, e.g. "01". */
  id: string;
  label?: string;
  /** Set CKA_ALWAYS_AUTHENTICATE. */
  alwaysAuthenticate?: boolean;
}

export interface SoftHsm {
  /** libsofthsm2.so */
  library: string;
  /** The SOFTHSM2_CONF file. */
  conf: string;
  dir: string;
  tokens: TokenSpec[];
  /** Generates a key pair on the token and returns its public key. */
  generateKey(token: string, type: Exclude<TokenKeyType, "ed25519">, options: KeyOptions): Promise<KeyObject>;
  /** Generates a key pair on the token without reading its public key (pkcs11-tool cannot export EdDSA ones). */
  generateKeyOnly(token: string, type: TokenKeyType, options: KeyOptions): Promise<void>;
  /** Generates a key here, imports only its private half (the token then has no public key object) and returns the public key. */
  importPrivateKey(token: string, type: "rsa-2048" | "ec-p256", options: KeyOptions): Promise<KeyObject>;
  /** Stores a DER certificate on the token. */
  writeCertificate(token: string, der: Uint8Array, options: { id: string; label?: string }): Promise<void>;
  /** Runs pkcs11-tool against the token (logged in when a PIN is known). */
  tool(token: string, args: string[]): Promise<string>;
  /** A config for another SoftHSM2 process on the same tokens, with `extra` lines (e.g. slots.mechanisms). */
  writeConf(name: string, extra: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Creates the tokens in a fresh directory and points SOFTHSM2_CONF at it.
 * Call before the PKCS#11 module is first used in this process.
 */
export async function createSoftHsm(tokens: TokenSpec[]): Promise<SoftHsm> {
  const library = LIBRARY_PATHS.find((path) => existsSync(path));
  if (!library) throw new Error(softHsmUnavailable());
  const dir = await mkdtemp(join(tmpdir(), "certcreds-softhsm-"));
  const conf = join(dir, "softhsm2.conf");
  const baseConf = `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`;
  await run("mkdir", ["-p", join(dir, "tokens")]);
  await writeFile(conf, baseConf);
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  for (const token of tokens) {
    await run("softhsm2-util", ["--init-token", "--free", "--label", token.label, "--pin", token.pin, "--so-pin", `so-${randomBytes(4).toString("hex")}`], {
      env,
    });
  }
  const pinOf = (label: string) => {
    const token = tokens.find((t) => t.label === label);
    if (!token) throw new Error(`no token ${label} in this SoftHSM`);
    return token.pin;
  };
  const tool = async (token: string, args: string[]) => {
    const { stdout } = await run("pkcs11-tool", ["--module", library, "--token-label", token, "--login", "--pin", pinOf(token), ...args], { env });
    return stdout;
  };
  const objectArgs = (options: KeyOptions) => [
    "--id",
    options.id,
    ...(options.label !== undefined ? ["--label", options.label] : []),
    ...(options.alwaysAuthenticate ? ["--always-auth"] : []),
  ];
  const readPublicKey = async (token: string, id: string) => {
    const out = join(dir, `pub-${randomBytes(4).toString("hex")}.der`);
    await tool(token, ["--read-object", "--type", "pubkey", "--id", id, "--output-file", out]);
    const { readFile } = await import("node:fs/promises");
    const key = createPublicKey({ key: await readFile(out), format: "der", type: "spki" });
    await rm(out);
    return key;
  };
  return {
    library,
    conf,
    dir,
    tokens,
    tool,
    async generateKey(token, type, options) {
      await tool(token, ["--keypairgen", "--key-type", KEYGEN_TYPES[type], ...objectArgs(options)]);
      return readPublicKey(token, options.id);
    },
    async generateKeyOnly(token, type, options) {
      await tool(token, ["--keypairgen", "--key-type", KEYGEN_TYPES[type], ...objectArgs(options)]);
    },
    async importPrivateKey(token, type, options) {
      const pair = type === "rsa-2048" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
      // The key file lives in the temporary directory only as long as the import takes.
      const file = join(dir, `key-${randomBytes(4).toString("hex")}.der`);
      await writeFile(file, pair.privateKey.export({ type: "pkcs8", format: "der" }), { mode: 0o600 });
      try {
        await tool(token, ["--write-object", file, "--type", "privkey", ...objectArgs(options)]);
      } finally {
        await rm(file, { force: true });
      }
      return pair.publicKey;
    },
    async writeCertificate(token, der, options) {
      const file = join(dir, `cert-${randomBytes(4).toString("hex")}.der`);
      await writeFile(file, der);
      await tool(token, ["--write-object", file, "--type", "cert", "--id", options.id, ...(options.label !== undefined ? ["--label", options.label] : [])]);
      await rm(file);
    },
    async writeConf(name, extra) {
      const path = join(dir, name);
      await writeFile(path, baseConf + extra);
      return path;
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
