import assert from "node:assert/strict";
import { type KeyObject, verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
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
