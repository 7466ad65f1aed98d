import assert from "node:assert/strict";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestCertificateAuthority } from "../../../testing/index.js";
import { createIotFixture, createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
});
after(() => f?.close());

describe("doctor", () => {
  test("all checks pass, then one real call", async () => {
    const result = await runCli(["doctor", ...f.args], { env: f.env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const check of [
      "certificate readable and parses",
      "intermediates readable and parse",
      "private key readable and parses",
      "key type supported",
      "key matches certificate",
      "certificate validity",
      "certificate chain order",
      "certificate expiry",
      "ARNs and region",
      "endpoint host resolves",
      "CreateSession",
    ]) {
      assert.match(result.stdout, new RegExp(`✔ ${check}: `), check);
    }
    assert.match(result.stdout, /CreateSession: got credentials ASIA\w+ of account 123456789012, valid until/);
    assert.match(result.stdout, /All checks passed/);
  });

  async function failing(args: string[], check: string, explanation: RegExp) {
    const result = await runCli(["doctor", ...args], { env: f.env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`✘ ${check}: `), `${check} fails:\n${result.stdout}`);
    assert.match(result.stdout, explanation);
    assert.match(result.stdout, /Some checks failed/);
    return result.stdout;
  }

  test("a key that is not the certificate's", async () => {
    const other = await f.issuing.issue({ commonName: "other" });
    const key = join(f.dir, "other.key");
    await writeFile(key, other.privateKeyPem!, { mode: 0o600 });
    const out = await failing([...f.args, "--private-key", key], "key matches certificate", /does not belong to the certificate/);
    assert.match(out, /– real call: fix the failures above first/);
  });

  test("a missing file is named by the flag that gave it", async () => {
    const missing = join(f.dir, "no-such-cert.pem");
    const out = await failing(
      [...f.args, "--certificate", missing],
      "certificate readable and parses",
      /--certificate file \S*no-such-cert\.pem does not exist/,
    );
    assert.doesNotMatch(out, /✘ [^\n]*: certificate file/);
  });

  test("an expired certificate", async () => {
    const expired = await f.issuing.issue({
      commonName: "old",
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const cert = join(f.dir, "expired.pem");
    const key = join(f.dir, "expired.key");
    await writeFile(cert, expired.certificatePem);
    await writeFile(key, expired.privateKeyPem!, { mode: 0o600 });
    await failing([...f.args, "--certificate", cert, "--private-key", key], "certificate validity", /expired on .* Renew it/);
  });

  test("intermediates that did not issue the certificate", async () => {
    const stranger = await createTestCertificateAuthority({ commonName: "Unrelated CA" });
    const chain = join(f.dir, "wrong-chain.pem");
    await writeFile(chain, stranger.certificatePem);
    await failing([...f.args, "--intermediates", chain], "certificate chain order", /does not link to the certificate/);
  });

  test("AWS IoT: the same checks, then one call over mutual TLS", async () => {
    const fx = await createIotFixture(f.dir);
    try {
      const result = await runCli(["doctor", ...fx.args], { env: f.env });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /certcreds doctor — AWS IoT credential provider/);
      assert.match(result.stdout, /✔ IoT options: endpoint https:\/\/127\.0\.0\.1:\d+/);
      assert.match(result.stdout, /✔ credentials from AWS IoT: got credentials ASIA\w+/);
      const untrusted = await runCli(["doctor", ...fx.args.slice(0, -2)], { env: f.env });
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stdout, /✘ credentials from AWS IoT: .*not trusted/);
    } finally {
      await fx.close();
    }
  });

  test("ARNs of different regions, an unreadable file, a host that does not resolve, a denied call", async () => {
    const otherRegion = f.ra.profileArn.replace(":us-east-1:", ":eu-west-1:");
    await failing([...f.args, "--profile-arn", otherRegion], "ARNs and region", /same region/);
    const unreadable = join(f.dir, "unreadable.key");
    await writeFile(unreadable, f.device.privateKeyPem, { mode: 0o600 });
    await chmod(unreadable, 0o000);
    if (process.getuid?.() !== 0) {
      await failing([...f.args, "--private-key", unreadable], "private key readable and parses", /not readable by this user/);
    }
    await failing([...f.args, "--endpoint", "https://rolesanywhere.does-not-exist.invalid"], "endpoint host resolves", /does not resolve.*check --endpoint/);
    await failing([...f.args, "--role-arn", "arn:aws:iam::123456789012:role/not-in-profile"], "CreateSession", /AccessDeniedException.*check that the profile/);
  });
});
