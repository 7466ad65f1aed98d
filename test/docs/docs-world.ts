/**
 * What the code blocks of the docs and the examples run against: the three
 * emulators on 127.0.0.1 with a throwaway PKI written to files, the
 * environment variables `certcreds emulate --dir DIR` writes into DIR/env
 * (docs/emulators.md), DIR/aws-config with its two profiles, a `certcreds`
 * command on PATH (a shim to bin/certcreds.js) and the real AWS CLI.
 *
 * Blocks are written under `root`, whose node_modules links every package of
 * the repository's and `certcreds` itself, so `import … from "certcreds"`
 * resolves as in a project that installed it.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificate,
} from "../../testing/index.js";
import { BIN, ROOT, which } from "../helpers/cli.js";
import { createSoftHsm, type SoftHsm, softHsmUnavailable } from "../helpers/softhsm.js";

export const RA_ROLE_ARN = "arn:aws:iam::123456789012:role/device";
export const IOT_ROLE_ARN = "arn:aws:iam::123456789012:role/device-iot";
export const ROLE_ALIAS = "device-role-alias";
export const THING = "thermostat-0042";
/** The SoftHSM2 module path the PKCS#11 pages name (Debian's). */
export const SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
export const TOKEN = "device";

/** The AWS CLI the blocks get: Debian's awscli (what .ci/run installs) first, else any on PATH. */
export const AWS_CLI = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : which("aws");

export interface DocsWorld {
  root: string;
  /** The stand-in for `certcreds emulate --dir DIR`: certificates, keys, env, aws-config. */
  dir: string;
  /** The variables of DIR/env that do not depend on DIR. */
  emulateEnv: Record<string, string>;
  /** Extra variables for blocks that use a PKCS#11 token, or why there is none. */
  pkcs11: { env: Record<string, string> } | { unavailable: string };
  issued: IssuedCredentialStore;
  sts: StsEmulator;
  ra: RolesAnywhereEmulator;
  iot: IotCredentialEmulator;
  /** The IoT emulator's server certificate and key (issued by CERTCREDS_IOT_CA_CERT's CA). */
  iotServer: { cert: string; key: string };
  /** The environment of a block run with HOME `home`: nothing of this process's AWS_* or proxies leaks in. */
  env(home: string, extra?: Record<string, string>): Record<string, string>;
  /** Writes DIR/env and DIR/aws-config into `target` (what `certcreds emulate --dir target` leaves). */
  writeEmulateDir(target: string): Promise<void>;
  /** The variables of DIR/env that name files in DIR: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, CERTCREDS_CACHE_DIR. */
  dirEnv(target: string): Record<string, string>;
  close(): Promise<void>;
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

async function write(path: string, text: string, mode = 0o644): Promise<string> {
  await writeFile(path, text, { mode });
  return path;
}

/** node_modules with every package of the repository's, and certcreds itself. */
async function linkModules(root: string): Promise<void> {
  const modules = join(root, "node_modules");
  await mkdir(modules);
  for (const name of await readdir(join(ROOT, "node_modules"))) {
    if (name === ".bin" || name === "certcreds") continue;
    await symlink(join(ROOT, "node_modules", name), join(modules, name));
  }
  await symlink(ROOT, join(modules, "certcreds"));
  await writeFile(join(root, "package.json"), `${JSON.stringify({ name: "certcreds-docs-blocks", private: true, type: "module" })}\n`);
}

/** `certcreds` and `aws` on PATH. */
async function writeShims(bin: string): Promise<void> {
  await mkdir(bin);
  await write(join(bin, "certcreds"), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(BIN)} "$@"\n`, 0o755);
  if (AWS_CLI) await write(join(bin, "aws"), `#!/bin/sh\nexec ${quote(AWS_CLI)} "$@"\n`, 0o755);
}

async function startPkcs11(issue: (publicKey: import("node:crypto").KeyObject) => Promise<TestCertificate>, thing: typeof issue) {
  const why = softHsmUnavailable() ?? (existsSync(SOFTHSM_LIBRARY) ? undefined : `SoftHSM2 is not at ${SOFTHSM_LIBRARY}, the path the docs name`);
  if (why) return { hsm: undefined, pkcs11: { unavailable: why }, thingCertificate: undefined };
  const pin = `pin-${process.pid}`;
  const hsm: SoftHsm = await createSoftHsm([{ label: TOKEN, pin }]);
  const device = await issue(await hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "device-key" }));
  await hsm.writeCertificate(TOKEN, device.certificateDer, { id: "01", label: "device-key" });
  const thingCertificate = await thing(await hsm.generateKey(TOKEN, "ec-p256", { id: "02", label: "thing-key" }));
  await hsm.writeCertificate(TOKEN, thingCertificate.certificateDer, { id: "02", label: "thing-key" });
  const env = { SOFTHSM2_CONF: hsm.conf, CERTCREDS_PKCS11_PIN: pin, CERTCREDS_PKCS11_LIB: SOFTHSM_LIBRARY };
  return { hsm, pkcs11: { env }, thingCertificate };
}

export async function createDocsWorld(): Promise<DocsWorld> {
  const root = await mkdtemp(join(tmpdir(), "certcreds-docs-"));
  const dir = join(root, "emulate");
  await mkdir(dir, { mode: 0o700 });
  await linkModules(root);
  await writeShims(join(root, "bin"));

  const rootCa = await createTestCertificateAuthority({ commonName: "certcreds docs root CA" });
  const issuing = await rootCa.createIntermediate({ commonName: "certcreds docs issuing CA", pathLength: 0 });
  const device = await issuing.issue({ commonName: "device-001", extendedKeyUsage: ["clientAuth"] });
  const endpointCa = await createTestCertificateAuthority({ commonName: "certcreds docs IoT endpoint CA" });
  const server = await endpointCa.issue({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const thingCa = await createTestCertificateAuthority({ commonName: "certcreds docs thing CA" });
  const thing = await thingCa.issue({ commonName: THING, extendedKeyUsage: ["clientAuth"] });

  const { hsm, pkcs11, thingCertificate } = await startPkcs11(
    (publicKey) => issuing.issue({ commonName: "device-002", publicKey, extendedKeyUsage: ["clientAuth"] }),
    (publicKey) => thingCa.issue({ commonName: THING, publicKey, extendedKeyUsage: ["clientAuth"] }),
  );

  const issued = new IssuedCredentialStore();
  const sts = await startStsEmulator({ issued });
  const ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [rootCa.certificatePem] }],
    profiles: [{ roleArns: [RA_ROLE_ARN], acceptRoleSessionName: true }],
    issued,
  });
  const iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.certificatePem, key: server.privateKeyPem! },
    registeredCas: [thingCa.certificatePem],
    things: [{ name: THING, certificates: [thing.certificatePem, ...(thingCertificate ? [thingCertificate.certificatePem] : [])] }],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: IOT_ROLE_ARN }],
    issued,
  });

  const file = (name: string, text: string, mode?: number) => write(join(dir, name), text, mode);
  // The names and files of `certcreds emulate` (docs/emulators.md); the ones bound to DIR are in dirEnv.
  const emulateEnv: Record<string, string> = {
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL_STS: sts.url,
    CERTCREDS_RA_ENDPOINT: ra.url,
    CERTCREDS_RA_TRUST_ANCHOR_ARN: ra.trustAnchorArn,
    CERTCREDS_RA_PROFILE_ARN: ra.profileArn,
    CERTCREDS_RA_ROLE_ARN: ra.roleArn,
    CERTCREDS_RA_CERTIFICATE: await file("ra-device.pem", device.certificatePem),
    CERTCREDS_RA_PRIVATE_KEY: await file("ra-device.key", device.privateKeyPem!, 0o600),
    CERTCREDS_RA_INTERMEDIATES: await file("ra-intermediate.pem", issuing.certificatePem),
    CERTCREDS_RA_ROOT_CA: await file("ra-root-ca.pem", rootCa.certificatePem),
    CERTCREDS_IOT_ENDPOINT: `https://127.0.0.1:${iot.port}`,
    CERTCREDS_IOT_ROLE_ALIAS: ROLE_ALIAS,
    CERTCREDS_IOT_THING_NAME: THING,
    CERTCREDS_IOT_CERTIFICATE: await file("iot-thing.pem", thing.certificatePem),
    CERTCREDS_IOT_PRIVATE_KEY: await file("iot-thing.key", thing.privateKeyPem!, 0o600),
    CERTCREDS_IOT_CA_CERT: await file("iot-endpoint-ca.pem", endpointCa.certificatePem),
  };
  const dirEnv = (target: string) => ({
    AWS_CONFIG_FILE: join(target, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(target, "credentials"),
    CERTCREDS_CACHE_DIR: join(target, "cache"),
  });
  const e = emulateEnv;
  const command = (args: string[]) => [process.execPath, BIN, "credential-process", ...args].map((a) => (/^[\w./:=@-]+$/.test(a) ? a : quote(a))).join(" ");
  const awsConfig = (target: string) =>
    [
      "[services certcreds-emulate]",
      "sts =",
      `  endpoint_url = ${sts.url}`,
      "",
      "[profile certcreds-roles-anywhere]",
      `credential_process = ${command([
        ...["--certificate", e.CERTCREDS_RA_CERTIFICATE!, "--private-key", e.CERTCREDS_RA_PRIVATE_KEY!, "--intermediates", e.CERTCREDS_RA_INTERMEDIATES!],
        ...["--trust-anchor-arn", e.CERTCREDS_RA_TRUST_ANCHOR_ARN!, "--profile-arn", e.CERTCREDS_RA_PROFILE_ARN!, "--role-arn", e.CERTCREDS_RA_ROLE_ARN!],
        ...["--endpoint", e.CERTCREDS_RA_ENDPOINT!, "--cache-dir", join(target, "cache")],
      ])}`,
      "region = us-east-1",
      "services = certcreds-emulate",
      "",
      "[profile certcreds-iot]",
      `credential_process = ${command([
        ...["--certificate", e.CERTCREDS_IOT_CERTIFICATE!, "--private-key", e.CERTCREDS_IOT_PRIVATE_KEY!],
        ...["--role-alias", e.CERTCREDS_IOT_ROLE_ALIAS!, "--thing-name", e.CERTCREDS_IOT_THING_NAME!],
        ...["--endpoint", e.CERTCREDS_IOT_ENDPOINT!, "--ca-cert", e.CERTCREDS_IOT_CA_CERT!, "--cache-dir", join(target, "cache")],
      ])}`,
      "region = us-east-1",
      "services = certcreds-emulate",
      "",
    ].join("\n");

  const writeEmulateDir = async (target: string) => {
    await mkdir(target, { recursive: true, mode: 0o700 });
    await write(join(target, "aws-config"), awsConfig(target), 0o600);
    const lines = Object.entries({ ...emulateEnv, ...dirEnv(target) }).map(([name, value]) => `export ${name}=${quote(value)}`);
    await write(join(target, "env"), `${lines.join("\n")}\n`, 0o600);
  };
  await writeEmulateDir(dir);

  return {
    root,
    dir,
    emulateEnv,
    pkcs11,
    issued,
    sts,
    ra,
    iot,
    iotServer: { cert: server.certificatePem, key: server.privateKeyPem! },
    env(home, extra = {}) {
      return {
        PATH: `${join(root, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        LANG: "C.UTF-8",
        HOME: home,
        TMPDIR: root,
        AWS_PAGER: "",
        // The SDK's notice about the Node versions it will support would drown the blocks' output.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...emulateEnv,
        ...dirEnv(dir),
        ...extra,
      };
    },
    writeEmulateDir,
    dirEnv,
    async close() {
      await Promise.all([ra.close(), iot.close(), sts.close()]);
      await hsm?.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Makes a directory for one Markdown file: its working directory and its HOME. */
export async function makeDocDirs(world: DocsWorld, slug: string): Promise<{ cwd: string; home: string }> {
  const cwd = join(world.root, "work", slug);
  const home = join(cwd, "home");
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  return { cwd, home };
}
