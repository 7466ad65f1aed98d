import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createMlDsaTestKey } from "../../../testing/index.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
let rsaCert: string;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  const rsa = await f.issuing.issue({ commonName: "rsa-device", keyType: "rsa-2048" });
  rsaCert = join(f.dir, "rsa.pem");
  await writeFile(rsaCert, rsa.certificatePem);
});
after(() => f?.close());

describe("read-certificate-data (as aws_signing_helper)", () => {
  test("key type, base64 DER, decimal serial, algorithms", async () => {
    const ec = await runCli(["read-certificate-data", "--certificate", f.certFile], { env: f.env });
    assert.equal(ec.code, 0, ec.stderr);
    assert.deepEqual(JSON.parse(ec.stdout), {
      keyType: "EC",
      certificateData: f.device.certificateDer.toString("base64"),
      serialNumber: f.device.serialNumber.toString(10),
      supportedAlgorithms: ["ECSHA256", "ECSHA384", "ECSHA512"],
    });
    const rsa = JSON.parse((await runCli(["read-certificate-data", "--certificate", rsaCert], { env: f.env })).stdout);
    assert.equal(rsa.keyType, "RSA");
    assert.deepEqual(rsa.supportedAlgorithms, ["RSASHA256", "RSASHA384", "RSASHA512"]);
    const missing = await runCli(["read-certificate-data", "--certificate", join(f.dir, "none.pem")], { env: f.env });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /none\.pem does not exist/);
  });

  test("ML-DSA certificates: the variant as key type and as the one algorithm, as aws_signing_helper prints, on any Node.js", async () => {
    for (const keyType of ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const) {
      const leaf = await f.issuing.issue({ spki: createMlDsaTestKey(keyType).spki });
      const file = join(f.dir, `${keyType}.pem`);
      await writeFile(file, leaf.certificatePem);
      const result = await runCli(["read-certificate-data", "--certificate", file], { env: f.env });
      assert.equal(result.code, 0, result.stderr);
      const variant = keyType.toUpperCase();
      assert.deepEqual(JSON.parse(result.stdout), {
        keyType: variant,
        certificateData: leaf.certificateDer.toString("base64"),
        serialNumber: leaf.serialNumber.toString(10),
        supportedAlgorithms: [variant],
      });
    }
  });
});
