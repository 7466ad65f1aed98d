import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromRolesAnywhere, RolesAnywhereSession, VERSION } from "../../../src/index.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type StsEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../../testing/index.js";
import { CapturingLogger } from "../../helpers/log-capture.js";

let root: TestCertificateAuthority;
let device: TestCertificate;
let ra: RolesAnywhereEmulator;
let sts: StsEmulator;
let stsSydney: StsEmulator;

before(async () => {
  root = await createTestCertificateAuthority();
  device = await root.issue({ commonName: "sdk-device" });
  ra = await startRolesAnywhereEmulator({
    trustAnchors: [{ certificates: [root.certificatePem] }],
    profiles: [{ roleArns: ["arn:aws:iam::123456789012:role/SdkRole"] }],
  });
  sts = await startStsEmulator({ issued: ra.issued });
  stsSydney = await startStsEmulator({ issued: ra.issued, region: "ap-southeast-2" });
});
after(() => Promise.all([ra.close(), sts.close(), stsSydney.close()]));

const init = () => ({
  certificate: device.certificatePem,
  privateKey: device.privateKeyPem!,
  trustAnchorArn: ra.trustAnchorArn,
  profileArn: ra.profileArn,
  roleArn: ra.roleArn,
  endpoint: ra.url,
});

test("real SDK v3 clients: credentials work, and two clients share one provider's cache", async () => {
  const credentials = fromRolesAnywhere(init());
  const a = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials });
  const b = new STSClient({ region: "ap-southeast-2", endpoint: stsSydney.url, credentials });
  const before = ra.createSessionCount;
  const [first, second] = await Promise.all([a.send(new GetCallerIdentityCommand({})), b.send(new GetCallerIdentityCommand({}))]);
  assert.equal(first.Account, "123456789012");
  assert.match(first.Arn!, /^arn:aws:sts::123456789012:assumed-role\/SdkRole\//);
  assert.equal(second.Arn, first.Arn);
  assert.equal(ra.createSessionCount - before, 1, "one CreateSession for both clients");
  a.destroy();
  b.destroy();
});

test("session.clientConfig({ region }) signs calls to another region; fills the Python-style fields", async () => {
  const session = new RolesAnywhereSession(init());
  assert.equal(session.accessKeyId, undefined, "nothing fetched before first use");
  const config = session.clientConfig({ region: "ap-southeast-2" });
  assert.equal(config.region, "ap-southeast-2");
  assert.equal(session.clientConfig().region, "us-east-1", "defaults to the trust anchor's region");
  const client = new STSClient({ ...config, endpoint: stsSydney.url });
  const identity = await client.send(new GetCallerIdentityCommand({}));
  assert.equal(identity.Account, "123456789012");
  assert.match(session.accessKeyId!, /^ASIA/);
  assert.equal(typeof session.secretAccessKey, "string");
  assert.ok(session.expiration instanceof Date);
  assert.ok(!Object.keys(session).includes("secretAccessKey"), "the secret is not enumerable");
  client.destroy();
  await session.close();
});

test("the provider logs to the calling client's logger when it has none of its own", async () => {
  const logger = new CapturingLogger();
  const credentials = fromRolesAnywhere(init());
  const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials, logger });
  await client.send(new GetCallerIdentityCommand({}));
  assert.ok(
    logger.lines.some((l) => l.includes("certcreds: IAM Roles Anywhere credentials obtained")),
    logger.lines.join("\n"),
  );
  client.destroy();
});

test("forceRefresh from the SDK makes a new CreateSession", async () => {
  const credentials = fromRolesAnywhere(init());
  const first = await credentials();
  const again = await credentials();
  const forced = await credentials({ forceRefresh: true });
  assert.equal(again.accessKeyId, first.accessKeyId);
  assert.notEqual(forced.accessKeyId, first.accessKeyId);
});

test("the built package: ESM and CommonJS entries, certcreds/testing, version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  assert.equal(VERSION, pkg.version);
  const esm = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'import * as c from "certcreds"; import * as t from "certcreds/testing"; console.log(typeof c.fromRolesAnywhere, typeof c.RolesAnywhereSession, typeof t.startRolesAnywhereEmulator, new c.KeyMismatchError("x") instanceof c.CredentialsProviderError)',
    ],
    { encoding: "utf8" },
  );
  assert.equal(esm.trim(), "function function function true");
  const cjs = execFileSync(process.execPath, ["-e", 'const c = require("certcreds"); console.log(typeof c.fromRolesAnywhere, c.VERSION)'], {
    encoding: "utf8",
  });
  assert.equal(cjs.trim(), `function ${pkg.version}`);
  const version = execFileSync(process.execPath, ["bin/certcreds.js", "--version"], { encoding: "utf8" });
  assert.equal(version.trim(), pkg.version);
});

test("a session spread or inspected without its custom inspector shows no key, passphrase or secret", async () => {
  const { inspect } = await import("node:util");
  const session = new RolesAnywhereSession({ ...init(), passphrase: "never-shown-passphrase" });
  await session.getCredentials();
  const texts = [JSON.stringify({ ...session }), inspect(session, { customInspect: false, depth: 5 }), inspect({ ...session }, { depth: 5 })];
  for (const text of texts) {
    assert.ok(!text.includes("PRIVATE KEY"), text.slice(0, 200));
    assert.ok(!text.includes("never-shown-passphrase"));
    assert.ok(!text.includes(session.secretAccessKey!));
  }
  await session.close();
});
