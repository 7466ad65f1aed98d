/**
 * A real software TPM for tests: swtpm (a libtpms TPM 2.0 over TCP, no
 * resource manager, three object slots), one per test file on free ports,
 * state in a temporary directory. certcreds reaches it directly
 * (`device`); the TPM tools (tpm2-tools, tpm2-openssl, tpm2_ptool) go
 * through a proxy that flushes what each tool leaves loaded, as a resource
 * manager would (see tpm-proxy.ts). Keys are made at test time with those
 * tools, never by the code under test.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TpmProxy } from "./tpm-proxy.js";

const run = promisify(execFile);

const PROVIDER_PATHS = ["/usr/lib/x86_64-linux-gnu/ossl-modules/tpm2.so", "/usr/lib/aarch64-linux-gnu/ossl-modules/tpm2.so", "/usr/lib64/ossl-modules/tpm2.so"];
/** Where Debian puts tpm2-pkcs11's module. */
export const TPM2_PKCS11_PATHS = ["/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so", "/usr/lib/aarch64-linux-gnu/pkcs11/libtpm2_pkcs11.so"];
const PACKAGES = "apt-get install swtpm swtpm-tools tpm2-tools tpm2-openssl libtss2-tcti-swtpm0 libtss2-tcti-mssim0";

function onPath(tool: string): boolean {
  return ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"].some((dir) => existsSync(join(dir, tool)));
}

/** Why swtpm tests cannot run here, or undefined when they can. */
export function swtpmUnavailable(): string | undefined {
  for (const tool of ["swtpm", "tpm2_createprimary", "openssl"]) if (!onPath(tool)) return `${tool} is not installed: ${PACKAGES}`;
  if (!PROVIDER_PATHS.some((path) => existsSync(path))) return `the tpm2-openssl provider is not installed: ${PACKAGES}`;
  return undefined;
}

/** Why tpm2-pkcs11 tests cannot run here, or undefined when they can. */
export function tpm2Pkcs11Unavailable(): string | undefined {
  const swtpm = swtpmUnavailable();
  if (swtpm) return swtpm;
  if (!TPM2_PKCS11_PATHS.some((path) => existsSync(path))) return "tpm2-pkcs11 is not installed: apt-get install libtpm2-pkcs11-1 libtpm2-pkcs11-tools";
  if (!onPath("tpm2_ptool")) return "tpm2_ptool is not installed: apt-get install libtpm2-pkcs11-tools";
  return undefined;
}

export type TpmKeyType = "ec-p256" | "ec-p384" | "rsa-2048";

export interface Swtpm {
  /** certcreds' `tpm.device`: swtpm itself, no resource manager. */
  device: string;
  /** The proxy the tools use. */
  proxy: Pick<TpmProxy, "tcti">;
  dir: string;
  /** The environment for TPM tools (TCTI variables set). */
  env: NodeJS.ProcessEnv;
  /** Runs a TPM tool; throws with its standard error on failure. */
  tool(name: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** A TSS2 key file made by tpm2-openssl, and its public key. */
  genpkey(type: TpmKeyType, options?: { password?: string; parent?: string }): Promise<{ path: string; pem: string; publicKey: KeyObject }>;
  /** Makes a persistent storage primary (the template tpm2-openssl uses) at `handle`. */
  persistentPrimary(handle: string): Promise<void>;
  /** A key made with tpm2-tools under an owner-hierarchy storage primary: its TPM2B_PUBLIC and TPM2B_PRIVATE. */
  createKey(
    type: TpmKeyType,
    options?: { password?: string; attributes?: string; scheme?: string; algorithm?: string },
  ): Promise<{ publicBytes: Buffer; privateBytes: Buffer }>;
  /** A persistent key at `handle`, made with tpm2-tools; its public key. */
  persistentKey(type: TpmKeyType, handle: string, options?: { password?: string; attributes?: string; algorithm?: string }): Promise<KeyObject>;
  /** Transient handles now loaded in the TPM. */
  transientHandles(): Promise<string[]>;
  /** Sets the dictionary-attack parameters (tpm2_dictionarylockout --setup-parameters). */
  dictionaryAttack(maxTries: number, recoverySeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** The storage primary template of tpm2-openssl and AWS's helper, in tpm2-tools' words. */
const PRIMARY = ["-g", "sha256", "-G", "ecc256:null:aes128cfb", "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt"];
const SIGN_ATTRIBUTES = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign";
const TOOL_ALGORITHMS: Record<TpmKeyType, string> = { "ec-p256": "ecc256", "ec-p384": "ecc384", "rsa-2048": "rsa2048" };

function waitForPort(port: number, child: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const attempt = () => {
      if (child.exitCode !== null) return resolve(false);
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts swtpm on two consecutive free ports (server, control) with a fresh state. */
export async function startSwtpm(): Promise<Swtpm> {
  const unavailable = swtpmUnavailable();
  if (unavailable) throw new Error(unavailable);
  const dir = await mkdtemp(join(tmpdir(), "certcreds-swtpm-"));
  await run("mkdir", ["-p", join(dir, "state")]);
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 20 && !child; attempt++) {
    port = 20_000 + Math.floor(Math.random() * 40_000);
    // swtpm runs under a shell that kills it when this process's end of standard input closes: at close(), or
    // when this process dies (a test killed on a time-out), so that no simulator outlives its test.
    const candidate = spawn(
      "sh",
      [
        "-c",
        'exec 3<&0; swtpm "$@" & pid=$!; (cat <&3 >/dev/null; kill $pid 2>/dev/null) & wait $pid',
        "sh",
        "socket",
        "--tpm2",
        "--tpmstate",
        `dir=${join(dir, "state")}`,
        "--server",
        `type=tcp,port=${port}`,
        "--ctrl",
        `type=tcp,port=${port + 1}`,
        "--flags",
        "not-need-init,startup-clear",
      ],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    if (await waitForPort(port, candidate, 5000)) child = candidate;
    else candidate.stdin!.end();
  }
  if (!child) throw new Error("swtpm did not start on any of 20 port pairs");
  const started = child;
  const proxyProcess = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "tpm-proxy-process.ts"), String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const proxy = await new Promise<Pick<TpmProxy, "tcti">>((resolve, reject) => {
    let text = "";
    proxyProcess.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve(JSON.parse(text.slice(0, text.indexOf("\n"))));
    });
    proxyProcess.once("exit", (code) => reject(new Error(`the TPM proxy exited (${code})`)));
  });
  const env = { ...process.env, TPM2TOOLS_TCTI: proxy.tcti, TPM2OPENSSL_TCTI: proxy.tcti };
  const tool = async (name: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    try {
      // Standard input closed: a tool that would prompt (tpm2-openssl for a key's password) fails instead of waiting.
      const running = run(name, args, { env: { ...env, ...extra }, maxBuffer: 1 << 22, timeout: 60_000 });
      running.child.stdin?.end();
      return (await running).stdout;
    } catch (error) {
      throw new Error(`${name} ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr ?? error}`);
    }
  };
  const file = (name: string) => join(dir, `${name}-${randomBytes(4).toString("hex")}`);
  const primary = async () => {
    const context = file("primary.ctx");
    await tool("tpm2_createprimary", ["-C", "o", ...PRIMARY, "-c", context]);
    return context;
  };
  const create = async (type: TpmKeyType, options: { password?: string; attributes?: string; scheme?: string; algorithm?: string } = {}) => {
    const parent = await primary();
    const pub = file("key.pub");
    const priv = file("key.priv");
    const algorithm = options.algorithm ?? (options.scheme ? `${TOOL_ALGORITHMS[type]}:${options.scheme}` : TOOL_ALGORITHMS[type]);
    await tool("tpm2_create", [
      "-C",
      parent,
      "-G",
      algorithm,
      "-a",
      options.attributes ?? SIGN_ATTRIBUTES,
      ...(options.password ? ["-p", options.password] : []),
      "-u",
      pub,
      "-r",
      priv,
    ]);
    return { parent, pub, priv };
  };
  return {
    device: `swtpm:host=127.0.0.1,port=${port}`,
    proxy,
    dir,
    env,
    tool,
    async genpkey(type, options = {}) {
      const path = `${file("key")}.pem`;
      const algorithm =
        type === "rsa-2048"
          ? ["-algorithm", "RSA", "-pkeyopt", "bits:2048"]
          : ["-algorithm", "EC", "-pkeyopt", `group:${type === "ec-p256" ? "P-256" : "P-384"}`];
      await tool("openssl", [
        "genpkey",
        "-provider",
        "tpm2",
        "-provider",
        "default",
        ...algorithm,
        ...(options.password ? ["-pkeyopt", `user-auth:${options.password}`] : []),
        ...(options.parent ? ["-pkeyopt", `parent:${options.parent}`] : []),
        "-out",
        path,
      ]);
      const passin = options.password ? ["-passin", `pass:${options.password}`] : [];
      const publicPem = await tool("openssl", ["pkey", "-provider", "tpm2", "-provider", "default", "-in", path, ...passin, "-pubout"]);
      return { path, pem: await readFile(path, "utf8"), publicKey: createPublicKey(publicPem) };
    },
    async persistentPrimary(handle) {
      await tool("tpm2_evictcontrol", ["-C", "o", "-c", await primary(), handle]);
    },
    async createKey(type, options) {
      const { pub, priv } = await create(type, options);
      return { publicBytes: await readFile(pub), privateBytes: await readFile(priv) };
    },
    async persistentKey(type, handle, options = {}) {
      const { parent, pub, priv } = await create(type, options);
      const context = file("key.ctx");
      await tool("tpm2_load", ["-C", parent, "-u", pub, "-r", priv, "-c", context]);
      await tool("tpm2_evictcontrol", ["-C", "o", "-c", context, handle]);
      const pem = file("pub.pem");
      await tool("tpm2_readpublic", ["-c", handle, "-f", "pem", "-o", pem]);
      return createPublicKey(await readFile(pem));
    },
    async transientHandles() {
      const out = await tool("tpm2_getcap", ["handles-transient"]);
      return out
        .split("\n")
        .map((line) => line.replace(/^- /, "").trim())
        .filter((line) => line !== "");
    },
    async dictionaryAttack(maxTries, recoverySeconds) {
      await tool("tpm2_dictionarylockout", [
        "--setup-parameters",
        `--max-tries=${maxTries}`,
        `--recovery-time=${recoverySeconds}`,
        `--lockout-recovery-time=${recoverySeconds}`,
      ]);
    },
    async close() {
      const proxyExited = new Promise((resolve) => proxyProcess.once("exit", resolve));
      proxyProcess.stdin!.end();
      await Promise.race([proxyExited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      const exited = new Promise((resolve) => started.once("exit", resolve));
      started.stdin!.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
