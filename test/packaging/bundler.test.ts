/**
 * A bundler takes the package's ES modules (its `module` export condition),
 * not Node's entry, which reads the library script and its code cache from
 * the package directory at run time: an application bundled with esbuild
 * runs with no node_modules beside it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { build } from "esbuild";
import { createTestCertificateAuthority, type RolesAnywhereEmulator, startRolesAnywhereEmulator } from "../../testing/index.js";

const exec = promisify(execFile);
let work: string;
let ra: RolesAnywhereEmulator;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "certcreds-bundled-"));
  const ca = await createTestCertificateAuthority({ commonName: "bundled app CA" });
  const server = await ca.issue({ commonName: "localhost", ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
  const device = await ca.issue({ commonName: "bundled-device", keyType: "ec-p256" });
  ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [ca.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/Bundled"] }],
    tls: { cert: server.certificatePem, key: server.privateKeyPem! },
  });
  writeFileSync(join(work, "device.pem"), device.certificatePem);
  writeFileSync(join(work, "device.key"), device.privateKeyPem!, { mode: 0o600 });
  writeFileSync(join(work, "ca.pem"), ca.certificatePem);
});
after(async () => {
  await ra.close();
  rmSync(work, { recursive: true, force: true });
});

test("esbuild bundles the ES modules; the bundle gets credentials on its own, without the code cache", async () => {
  const outfile = join(work, "app.mjs");
  const result = await build({
    entryPoints: [join(import.meta.dirname, "bundled-app.mjs")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "silent",
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes("dist/index.js"), inputs.join(", "));
  assert.ok(!inputs.some((input) => input.startsWith("dist/node/")), inputs.join(", "));
  assert.doesNotMatch(readFileSync(outfile, "utf8"), /certcreds V8 code cache/);
  const env = {
    PATH: process.env.PATH ?? "",
    CHILD_CERT: join(work, "device.pem"),
    CHILD_KEY: join(work, "device.key"),
    CHILD_CA: join(work, "ca.pem"),
    CHILD_ENDPOINT: ra.url,
    CHILD_TRUST_ANCHOR_ARN: ra.trustAnchorArn,
    CHILD_PROFILE_ARN: ra.profileArn,
    CHILD_ROLE_ARN: ra.roleArn,
  };
  const { stdout } = await exec(process.execPath, [outfile], { cwd: work, env, encoding: "utf8", timeout: 30_000 });
  assert.deepEqual(JSON.parse(stdout), { credentials: true, codeCache: null });
});
