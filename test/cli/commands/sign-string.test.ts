import assert from "node:assert/strict";
import { type KeyObject, verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runtimeSignsMlDsa } from "../../../src/identity/ml-dsa.js";
import { createMlDsaTestKey, mlDsaPrivateKeyPem } from "../../../testing/index.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
let rsaKey: string;
let rsaPublic: KeyObject;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  const rsa = await f.issuing.issue({ commonName: "rsa-device", keyType: "rsa-2048" });
  rsaKey = join(f.dir, "rsa.key");
  await writeFile(rsaKey, rsa.privateKeyPem!, { mode: 0o600 });
  rsaPublic = rsa.certificate.publicKey;
});
after(() => f?.close());

describe("sign-string (as aws_signing_helper)", () => {
  test("EC and RSA, every digest: the signature verifies with the certificate's public key", async () => {
    for (const [key, publicKey] of [
      [f.keyFile, f.device.certificate.publicKey],
      [rsaKey, rsaPublic],
    ] as const) {
      for (const digest of ["SHA256", "SHA384", "SHA512"]) {
        const result = await runCli(["sign-string", "--private-key", key, "--string", "string to sign", "--format", "text", "--digest", digest], {
          env: f.env,
        });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^[0-9a-f]+$/, "bare hex, no newline");
        assert.ok(verify(digest.toLowerCase(), Buffer.from("string to sign"), publicKey, Buffer.from(result.stdout, "hex")), `${digest} verifies`);
      }
    }
  });

  test("the string from standard input; json (default) and bin formats", async () => {
    const json = await runCli(["sign-string", "--private-key", f.keyFile], { env: f.env, input: "from stdin" });
    assert.equal(json.code, 0, json.stderr);
    const hex = JSON.parse(json.stdout) as string;
    assert.ok(verify("sha256", Buffer.from("from stdin"), f.device.certificate.publicKey, Buffer.from(hex, "hex")));
    const bin = await runCli(["sign-string", "--private-key", rsaKey, "--format", "bin"], { env: f.env, input: "raw" });
    assert.equal(bin.stdoutBytes.length, 256);
    assert.ok(verify("sha256", Buffer.from("raw"), rsaPublic, bin.stdoutBytes));
  });

  test("bad options are usage errors", async () => {
    const format = await runCli(["sign-string", "--private-key", f.keyFile, "--string", "x", "--format", "xml"], { env: f.env });
    assert.equal(format.code, 2);
    assert.match(format.stderr, /"xml" is not one of json, text, bin/);
    const digest = await runCli(["sign-string", "--private-key", f.keyFile, "--string", "x", "--digest", "MD5"], { env: f.env });
    assert.equal(digest.code, 2);
    const stdinTwice = await runCli(["sign-string", "--private-key", "-"], { env: f.env, input: f.device.privateKeyPem });
    assert.equal(stdinTwice.code, 2);
    assert.match(stdinTwice.stderr, /pass the string to sign with --string/);
  });
});

describe("sign-string with ML-DSA keys", () => {
  test("pure ML-DSA over the string itself, seed and expanded forms; another --digest is a usage error", {
    skip: !runtimeSignsMlDsa() && `needs Node.js 24.6 or later (this is ${process.version})`,
  }, async () => {
    for (const keyType of ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const) {
      const leaf = await f.issuing.issue({ keyType });
      for (const form of ["seed", "expanded"] as const) {
        const key = join(f.dir, `${keyType}-${form}.key`);
        await writeFile(key, mlDsaPrivateKeyPem(leaf.privateKey!, form), { mode: 0o600 });
        const result = await runCli(["sign-string", "--private-key", key, "--string", "string to sign", "--format", "text"], { env: f.env });
        assert.equal(result.code, 0, result.stderr);
        assert.ok(verify(null, Buffer.from("string to sign"), leaf.certificate.publicKey, Buffer.from(result.stdout, "hex")), `${keyType} ${form} verifies`);
      }
    }
    const key = join(f.dir, "ml-dsa-44-seed.key");
    const sha256 = await runCli(["sign-string", "--private-key", key, "--digest", "SHA256"], { env: f.env, input: "x" });
    assert.equal(sha256.code, 0, "SHA256, the default, is accepted as aws_signing_helper does");
    const sha384 = await runCli(["sign-string", "--private-key", key, "--digest", "SHA384"], { env: f.env, input: "x" });
    assert.equal(sha384.code, 2);
    assert.match(sha384.stderr, /--digest SHA384 does not apply to ML-DSA keys, which sign the string itself: leave --digest out\./);
  });

  test("on a runtime without ML-DSA: exit 3, one line naming Node.js 24.6", { skip: runtimeSignsMlDsa() && "this runtime signs ML-DSA" }, async () => {
    const key = join(f.dir, "pq.key");
    await writeFile(key, createMlDsaTestKey("ml-dsa-65").privateKeyPem("both"), { mode: 0o600 });
    const result = await runCli(["sign-string", "--private-key", key, "--string", "x"], { env: f.env });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr.trim(),
      /pq\.key is ML-DSA-65, which needs Node\.js 24\.6 or later \(this is Node\.js v[\d.]+\)\. Run certcreds with Node\.js 24\.6\+, or use an RSA or EC key\.$/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /corrupted|base64|OpenSSL/);
  });
});
