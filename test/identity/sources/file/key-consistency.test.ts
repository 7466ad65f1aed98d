/**
 * A key file whose stored public half is the certificate's but whose private
 * half is another key's: OpenSSL and Node take the stored public half as it
 * is, so the key ↔ certificate comparison alone passes such a file and the
 * service later refuses every signature. The identity check recomputes the
 * public half and says what is wrong.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { test } from "node:test";
import { InputFormatError, loadIdentity } from "../../../../src/index.js";
import { privateKeyIsConsistent } from "../../../../src/identity/sources/file/key-consistency.js";
import { createTestCertificateAuthority } from "../../../../testing/index.js";

/** A SEC1 EC key with the private scalar of `secret` and the public point of `shown`. */
function forgedEcKey(secret: KeyObject, shown: KeyObject): string {
  const der = secret.export({ format: "der", type: "sec1" });
  const point = (key: KeyObject) => {
    const jwk = key.export({ format: "jwk" });
    return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]).toString("hex");
  };
  const forged = Buffer.from(der.toString("hex").replace(point(secret), point(shown)), "hex");
  assert.notDeepEqual(forged, der, "the public point was replaced");
  return `-----BEGIN EC PRIVATE KEY-----\n${forged.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END EC PRIVATE KEY-----\n`;
}

test("an EC key file holding the certificate's public point beside another private scalar is refused, naming the fix", async () => {
  const ca = await createTestCertificateAuthority();
  const device = await ca.issue({ keyType: "ec-p256" });
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const { createPrivateKey } = await import("node:crypto");
  const privateKey = forgedEcKey(other, createPrivateKey(device.privateKeyPem!));
  await assert.rejects(loadIdentity({ certificate: device.certificatePem, privateKey }, new Date()), (error: Error) => {
    assert.ok(error instanceof InputFormatError, `${error.name}: ${error.message}`);
    assert.match(error.message, /is inconsistent: the public key it holds is not the one its private part makes.*Export the key again/);
    return true;
  });
  // The genuine key of the same certificate loads.
  const identity = await loadIdentity({ certificate: device.certificatePem, privateKey: device.privateKeyPem! }, new Date());
  assert.ok(identity.privateKey);
});

test("genuine RSA and EC keys of every curve are consistent; altered RSA numbers are not", async () => {
  for (const [type, options] of [
    ["rsa", { modulusLength: 2048 }],
    ["ec", { namedCurve: "P-256" }],
    ["ec", { namedCurve: "P-384" }],
    ["ec", { namedCurve: "P-521" }],
  ] as const) {
    const { privateKey } = generateKeyPairSync(type as "rsa", options as { modulusLength: number });
    assert.equal(privateKeyIsConsistent(privateKey), true, `${type} ${JSON.stringify(options)}`);
  }
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const { createPrivateKey } = await import("node:crypto");
  for (const altered of [
    { ...rsa, d: other.d },
    { ...rsa, p: other.p, q: other.q, dp: other.dp, dq: other.dq, qi: other.qi },
  ]) {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey({ key: altered, format: "jwk" });
    } catch {
      continue; // refused by OpenSSL itself: as good
    }
    assert.equal(privateKeyIsConsistent(key), false);
  }
});
