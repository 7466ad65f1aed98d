import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { once } from "node:events";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  bitString,
  explicit,
  implicit,
  integer,
  namedBitString,
  nullValue,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  utcTime,
  x509Time,
} from "../../testing/pki/der.js";
import { createTestCertificateAuthority, generateTestKeyPair, type TestCertificate, type TestKeyType } from "../../testing/index.js";

const hex = (b: Buffer) => b.toString("hex");

/** Decodes a DER INTEGER back to a bigint (two's complement), independently of the encoder. */
function decodeInteger(der: Buffer): bigint {
  const el = readElement(der);
  assert.equal(el.tag, 0x02);
  assert.equal(el.end, der.length);
  const content = der.subarray(el.contentStart, el.end);
  // DER minimality: no redundant leading 0x00 / 0xFF octet.
  if (content.length > 1) {
    const redundantZero = content[0] === 0x00 && ((content[1] ?? 0) & 0x80) === 0;
    const redundantOnes = content[0] === 0xff && ((content[1] ?? 0) & 0x80) !== 0;
    assert.ok(!redundantZero && !redundantOnes, `non-minimal INTEGER ${hex(der)}`);
  }
  let value = BigInt(`0x${content.toString("hex")}`);
  if ((content[0] ?? 0) & 0x80) value -= 1n << BigInt(content.length * 8);
  return value;
}

describe("der", () => {
  test("INTEGER: minimal two’s complement, sign padding for unsigned buffers", () => {
    assert.equal(hex(integer(0)), "020100");
    assert.equal(hex(integer(127)), "02017f");
    assert.equal(hex(integer(128)), "02020080");
    assert.equal(hex(integer(256)), "02020100");
    assert.equal(hex(integer(-1)), "0201ff");
    assert.equal(hex(integer(-128)), "020180");
    assert.equal(hex(integer(-129)), "0202ff7f");
    assert.equal(hex(integer(Buffer.from([0, 0, 0x7f]))), "02017f");
    assert.equal(hex(integer(Buffer.from([0xff, 0x01]))), "020300ff01");
    assert.equal(hex(integer(Buffer.alloc(0))), "020100");
  });

  test("INTEGER round-trips any bigint (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 600n), max: 1n << 600n }), (n) => decodeInteger(integer(n)) === n),
      { numRuns: 500 },
    );
  });

  test("lengths: short and long form", () => {
    assert.equal(hex(octetString(Buffer.alloc(127)).subarray(0, 2)), "047f");
    assert.equal(hex(octetString(Buffer.alloc(200)).subarray(0, 3)), "0481c8");
    assert.equal(hex(octetString(Buffer.alloc(300)).subarray(0, 4)), "0482012c");
    assert.equal(hex(octetString(Buffer.alloc(70000)).subarray(0, 5)), "0483011170");
    const el = readElement(octetString(Buffer.alloc(300)));
    assert.deepEqual([el.contentStart, el.end], [4, 304]);
  });

  test("OBJECT IDENTIFIER", () => {
    assert.equal(hex(oid("1.2.840.113549.1.1.11")), "06092a864886f70d01010b");
    assert.equal(hex(oid("2.5.29.19")), "0603551d13");
    assert.equal(hex(oid("1.3.101.112")), "06032b6570");
    assert.equal(hex(oid("2.999.3")), "0603883703");
    assert.throws(() => oid("1.40.1"));
    assert.throws(() => oid("not.an.oid"));
  });

  test("BIT STRING, named bits, tags, SET ordering, times", () => {
    assert.equal(hex(bitString(Buffer.from([0xab]))), "030200ab");
    assert.equal(hex(namedBitString([5, 6])), "03020106"); // keyCertSign + cRLSign
    assert.equal(hex(namedBitString([0, 2])), "030205a0"); // digitalSignature + keyEncipherment
    assert.equal(hex(namedBitString([0])), "03020780");
    assert.equal(hex(namedBitString([8])), "0303070080");
    assert.equal(hex(explicit(0, integer(2))), "a003020102");
    assert.equal(hex(implicit(7, Buffer.from([127, 0, 0, 1]))), "87047f000001");
    assert.equal(hex(set(integer(2), integer(1))), "3106020101020102");
    assert.equal(hex(sequence()), "3000");
    assert.equal(utcTime(new Date("2049-12-31T23:59:59.999Z")).toString("latin1", 2), "491231235959Z");
    assert.equal(x509Time(new Date("2050-01-01T00:00:00Z")).toString("latin1", 2), "20500101000000Z");
    assert.equal(x509Time(new Date("2050-01-01T00:00:00Z"))[0], 0x18);
    assert.throws(() => utcTime(new Date("2050-01-01T00:00:00Z")));
  });
});

/** OIDs of the outer signatureAlgorithm, DER-encoded, to find them in a certificate. */
const SIG_ALG = {
  rsa: sequence(oid("1.2.840.113549.1.1.11"), nullValue()),
  p256: oid("1.2.840.10045.4.3.2"),
  p384: oid("1.2.840.10045.4.3.3"),
  ed25519: oid("1.3.101.112"),
};

function assertIssued(child: TestCertificate, issuer: TestCertificate): void {
  assert.ok(child.certificate.checkIssued(issuer.certificate), "checkIssued");
  assert.ok(child.certificate.verify(issuer.certificate.publicKey), "signature verifies");
  assert.equal(child.certificate.issuer, issuer.certificate.subject);
}

describe("pki", () => {
  const caKeyTypes: [TestKeyType, Buffer][] = [
    ["rsa-2048", SIG_ALG.rsa],
    ["rsa-3072", SIG_ALG.rsa],
    ["rsa-4096", SIG_ALG.rsa], // the only RSA-4096 key of the suite (slow to generate)
    ["ec-p256", SIG_ALG.p256],
    ["ec-p384", SIG_ALG.p384],
    ["ec-p521", SIG_ALG.p384],
    ["ed25519", SIG_ALG.ed25519],
  ];

  test("every CA key type self-signs and issues, with the matching signature algorithm", async () => {
    await Promise.all(
      caKeyTypes.map(async ([keyType, algorithm]) => {
        const ca = await createTestCertificateAuthority({ keyType, commonName: `CA ${keyType}` });
        const reparsed = new X509Certificate(ca.certificatePem);
        assert.equal(reparsed.fingerprint256, ca.certificate.fingerprint256);
        assert.equal(ca.certificate.ca, true, keyType);
        assert.equal(ca.certificate.subject, `CN=CA ${keyType}`);
        assertIssued(ca, ca);
        assert.ok(ca.certificate.checkPrivateKey(ca.privateKey));
        assert.ok(ca.certificateDer.includes(algorithm), `${keyType} signature algorithm`);
        const leaf = await ca.issue({ keyType: "ec-p256" });
        assertIssued(leaf, ca);
        assert.ok(leaf.certificateDer.includes(algorithm));
      }),
    );
  });

  test("every leaf key type (including rsa-1024 and ed25519 for negative tests)", async () => {
    const ca = await createTestCertificateAuthority();
    const leafTypes: TestKeyType[] = ["rsa-1024", "rsa-2048", "rsa-3072", "ec-p256", "ec-p384", "ec-p521", "ed25519"];
    await Promise.all(
      leafTypes.map(async (keyType) => {
        const leaf = await ca.issue({ keyType, commonName: `leaf ${keyType}` });
        assertIssued(leaf, ca);
        assert.equal(leaf.certificate.ca, false);
        assert.ok(leaf.privateKey && leaf.privateKeyPem);
        assert.match(leaf.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
        assert.ok(leaf.certificate.checkPrivateKey(createPrivateKey(leaf.privateKeyPem)));
        const details = leaf.certificate.publicKey.asymmetricKeyDetails;
        if (keyType.startsWith("rsa")) assert.equal(details?.modulusLength, Number(keyType.slice(4)));
        if (keyType === "ec-p384") assert.equal(details?.namedCurve, "secp384r1");
        if (keyType === "ed25519") assert.equal(leaf.certificate.publicKey.asymmetricKeyType, "ed25519");
      }),
    );
  });

  test("root → intermediate → leaf chain verifies; pathLength; validity", async () => {
    const root = await createTestCertificateAuthority({ keyType: "ec-p384" });
    const intermediate = await root.createIntermediate({ commonName: "Issuing CA", pathLength: 0, keyType: "rsa-2048" });
    const leaf = await intermediate.issue({ commonName: "device-1" });
    assertIssued(intermediate, root);
    assertIssued(leaf, intermediate);
    assert.equal(intermediate.certificate.ca, true);
    assert.ok(!leaf.certificate.checkIssued(root.certificate));
    // pathLenConstraint 0 → INTEGER 0 right after the cA BOOLEAN in basicConstraints.
    assert.ok(intermediate.certificateDer.includes(Buffer.from("30060101ff020100", "hex")));
    assert.ok(!root.certificateDer.includes(Buffer.from("30060101ff0201", "hex")));
    // Defaults: leaf now-1h .. now+90d (past the 30-day expiry warning), CA now-1h .. now+10y.
    const now = Date.now();
    const approx = (actual: string, expected: number) =>
      assert.ok(Math.abs(Date.parse(actual) - expected) < 60_000, `${actual} vs ${new Date(expected).toISOString()}`);
    approx(leaf.certificate.validFrom, now - 3600_000);
    approx(leaf.certificate.validTo, now + 90 * 86_400_000);
    const tenYears = new Date(now);
    tenYears.setUTCFullYear(tenYears.getUTCFullYear() + 10);
    approx(root.certificate.validTo, tenYears.getTime());

    const notBefore = new Date("2020-01-01T00:00:00Z");
    const notAfter = new Date("2060-06-01T12:00:00Z"); // after 2049: GeneralizedTime
    const long = await intermediate.issue({ notBefore, notAfter });
    assert.equal(Date.parse(long.certificate.validFrom), notBefore.getTime());
    assert.equal(Date.parse(long.certificate.validTo), notAfter.getTime());
  });

  test("subjectAltName and extendedKeyUsage", async () => {
    const ca = await createTestCertificateAuthority();
    const leaf = await ca.issue({
      dnsNames: ["localhost", "device.example"],
      ipAddresses: ["127.0.0.1", "::1", "2001:db8::42", "::ffff:192.0.2.1"],
      extendedKeyUsage: ["serverAuth", "clientAuth"],
    });
    const { certificate } = leaf;
    assert.equal(
      certificate.subjectAltName,
      "DNS:localhost, DNS:device.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:0:42, IP Address:0:0:0:0:0:FFFF:C000:201",
    );
    assert.equal(certificate.checkHost("device.example"), "device.example");
    assert.equal(certificate.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(certificate.checkIP("::1"), "::1");
    // Node calls the extendedKeyUsage list "keyUsage".
    assert.deepEqual(certificate.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    const plain = await ca.issue();
    assert.equal(plain.certificate.subjectAltName, undefined);
    assert.equal(plain.certificate.keyUsage, undefined);
    await assert.rejects(ca.issue({ ipAddresses: ["not-an-ip"] }), TypeError);
  });

  test("serial numbers: given, padded when the high bit is set, random 159-bit by default", async () => {
    const ca = await createTestCertificateAuthority();
    for (const serialNumber of [1n, 255n, 0x80n, (1n << 159n) - 1n]) {
      const leaf = await ca.issue({ serialNumber });
      assert.equal(leaf.serialNumber, serialNumber);
      assert.equal(BigInt(`0x${leaf.certificate.serialNumber}`), serialNumber);
    }
    const serials = new Set<bigint>();
    for (let i = 0; i < 5; i++) {
      const { serialNumber, certificate } = await ca.issue();
      assert.equal(serialNumber.toString(2).length, 159);
      assert.equal(serialNumber.toString(10).length, 48);
      assert.equal(BigInt(`0x${certificate.serialNumber}`), serialNumber);
      serials.add(serialNumber);
    }
    assert.equal(serials.size, 5);
  });

  test("certifies an external public key without returning a private key", async () => {
    const ca = await createTestCertificateAuthority();
    const external = await generateTestKeyPair("ec-p256");
    const cert = await ca.issue({ publicKey: external.publicKey });
    assert.equal(cert.privateKey, undefined);
    assert.equal(cert.privateKeyPem, undefined);
    assert.ok(cert.certificate.checkPrivateKey(external.privateKey));
    await assert.rejects(ca.createIntermediate({ publicKey: external.publicKey }), TypeError);
  });

  test("OpenSSL path validation accepts the chain (mutual TLS through an intermediate)", async () => {
    const root = await createTestCertificateAuthority();
    const issuing = await root.createIntermediate({ pathLength: 0 });
    const server = await issuing.issue({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], extendedKeyUsage: ["serverAuth"] });
    const client = await issuing.issue({ commonName: "device-7", extendedKeyUsage: ["clientAuth"] });
    const chain = (leaf: TestCertificate) => leaf.certificatePem + issuing.certificatePem;

    const https = createServer(
      { cert: chain(server), key: server.privateKeyPem, ca: root.certificatePem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
        res.end(peer.subject.CN);
      },
    );
    https.listen(0, "127.0.0.1");
    await once(https, "listening");
    try {
      const { port } = https.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, ca: root.certificatePem, cert: chain(client), key: client.privateKeyPem }, (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(body, "device-7");
    } finally {
      https.closeAllConnections();
      https.close();
    }
  });
});

test("issue options that take a list also take a single value", async () => {
  const ca = await createTestCertificateAuthority({ commonName: "single values" });
  const server = await ca.issue({ commonName: "localhost", dnsNames: "localhost", ipAddresses: "127.0.0.1", extendedKeyUsage: "serverAuth" });
  assert.match(server.certificate.subjectAltName ?? "", /DNS:localhost/);
  assert.match(server.certificate.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  assert.ok(server.certificate.keyUsage?.includes("1.3.6.1.5.5.7.3.1"), "serverAuth");
});
