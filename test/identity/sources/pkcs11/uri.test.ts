import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ConfigurationError } from "../../../../src/core/errors.js";
import { resolvePkcs11Spec } from "../../../../src/identity/sources/pkcs11/config.js";
import { encodePkcs11Value, parsePkcs11Uri, redactPkcs11Uri } from "../../../../src/identity/sources/pkcs11/uri.js";

const SECRET_PIN = "s3cret-PIN-9417";

test("parsePkcs11Uri: path and query attributes, percent-decoding, binary id", () => {
  const uri = parsePkcs11Uri(
    "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=abc123;object=device%3Bkey;id=%01%A2%ff;type=private;slot-id=17;x-vendor=1?pin-value=12%2634&module-path=/usr/lib/softhsm/libsofthsm2.so",
  );
  assert.equal(uri.token, "My Token");
  assert.equal(uri.manufacturer, "SoftHSM project");
  assert.equal(uri.serial, "abc123");
  assert.equal(uri.object, "device;key");
  assert.deepEqual([...uri.id!], [0x01, 0xa2, 0xff]);
  assert.equal(uri.type, "private");
  assert.equal(uri.slotId, 17);
  assert.equal(uri.pinValue, "12&34");
  assert.equal(uri.modulePath, "/usr/lib/softhsm/libsofthsm2.so");
  assert.deepEqual(parsePkcs11Uri("pkcs11:"), {});
  assert.equal(parsePkcs11Uri("PKCS11:object=k").object, "k", "the scheme is case-insensitive");
  assert.equal(parsePkcs11Uri("pkcs11:object=k?module-path=/opt/a;b/lib.so").modulePath, "/opt/a;b/lib.so", "';' is an ordinary character in the query");
  assert.equal(parsePkcs11Uri("pkcs11:object=caf%C3%A9").object, "café");
});

test("parsePkcs11Uri: malformed URIs are ConfigurationErrors naming the option and the attribute, never the PIN", () => {
  const cases: [string, RegExp][] = [
    ["/etc/key.pem", /is not a PKCS#11 URI: it must start with "pkcs11:"/],
    ["pkcs11:object=a;;id=%01", /empty attribute/],
    ["pkcs11:object", /"object" is not a name=value attribute/],
    ["pkcs11:id=%0", /"id" has a malformed percent-encoding/],
    ["pkcs11:id=%zz", /malformed percent-encoding/],
    ["pkcs11:label=x", /unknown attribute "label"/],
    ["pkcs11:object=a;object=b", /"object" appears twice/],
    ["pkcs11:type=secret", /type must be one of private, public, cert, secret-key, data/],
    ["pkcs11:slot-id=abc", /slot-id must be a decimal number/],
    ["pkcs11:object=%ff%fe", /not UTF-8/],
    [`pkcs11:object=k;pin-value=${SECRET_PIN}`, /"pin-value" belongs in the query/],
    [`pkcs11:object=k?module-path=/x.so&token=t`, /"token" belongs in the path/],
    [`pkcs11:object=k?pin-value=${SECRET_PIN}&pin-source=file:/p`, /both pin-value and pin-source/],
    [`pkcs11:object=k?pin-value${SECRET_PIN}`, /"pin-value" is not a name=value attribute/],
    [`pkcs11:object=k#frag?pin-value=${SECRET_PIN}`, /"#" is not allowed/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parsePkcs11Uri(input, "privateKey"),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError, `${input}: ${error}`);
        assert.equal(error.option, "privateKey");
        assert.match(error.message, message);
        assert.match(error.message, /^privateKey /);
        assert.ok(!error.message.includes(SECRET_PIN), `the PIN leaks in: ${error.message}`);
        return true;
      },
    );
  }
  assert.equal(redactPkcs11Uri(`pkcs11:object=k?pin-value=${SECRET_PIN}&module-path=/m.so`), "pkcs11:object=k?pin-value=***&module-path=/m.so");
});

test("property: any label survives encodePkcs11Value and parsePkcs11Uri", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 20 }), (label, id) => {
      const idText = Array.from(id, (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
      const parsed = parsePkcs11Uri(`pkcs11:token=${encodePkcs11Value(label)};object=${encodePkcs11Value(label)};id=${idText}`);
      assert.equal(parsed.token, label);
      assert.equal(parsed.object, label);
      assert.deepEqual([...parsed.id!], [...id]);
    }),
    { numRuns: 300 },
  );
});

test("the Python-style config and the URI resolve to the same key, token and PIN source", () => {
  const library = "/usr/lib/softhsm/libsofthsm2.so";
  const fromConfig = resolvePkcs11Spec({
    pkcs11: { library, userPin: SECRET_PIN, tokenLabel: "dev token", privateKeyLabel: "device key", privateKeyId: "a1:02" },
    certificate: "/etc/device.pem",
  });
  const fromUri = resolvePkcs11Spec({
    privateKey: `pkcs11:token=dev%20token;object=device%20key;id=%a1%02;type=private?module-path=${library}&pin-value=${SECRET_PIN}`,
    certificate: "/etc/device.pem",
  });
  for (const spec of [fromConfig, fromUri]) {
    assert.equal(spec.library, library);
    assert.deepEqual(spec.token, { label: "dev token" });
    assert.deepEqual(spec.key, { label: "device key", id: Buffer.from([0xa1, 0x02]) });
    assert.equal(spec.pin.value?.reveal(), SECRET_PIN);
    assert.equal(spec.certificate, undefined, "the certificate comes from the file");
    assert.ok(!JSON.stringify(spec).includes(SECRET_PIN), "the PIN does not serialise");
  }
  // The certificate from the token: omitted beside pkcs11, or a pkcs11: URI naming it.
  assert.deepEqual(resolvePkcs11Spec({ pkcs11: { library, certificateLabel: "cert" } }).certificate, { label: "cert", explicit: true });
  assert.deepEqual(resolvePkcs11Spec({ pkcs11: { library } }).certificate, { explicit: false });
  const certUri = resolvePkcs11Spec({ certificate: `pkcs11:token=t;object=dev;type=cert?module-path=${library}` });
  assert.deepEqual(certUri.certificate, { label: "dev", explicit: true });
  assert.deepEqual(certUri.key, { label: "dev" }, "the key is looked up like the certificate, as AWS's helper does");
  assert.deepEqual(certUri.token, { label: "t" });
  // The privateKey URI wins over the pkcs11 option for the key; the option still gives library and PIN.
  const mixed = resolvePkcs11Spec({ pkcs11: { library, userPin: SECRET_PIN, privateKeyLabel: "old" }, privateKey: "pkcs11:object=new" });
  assert.deepEqual(mixed.key, { label: "new" });
  assert.equal(mixed.keyOption, "privateKey");
  assert.equal(mixed.pin.option, "pkcs11.userPin");
  assert.throws(() => resolvePkcs11Spec({ privateKey: "pkcs11:object=x;type=cert" }), /privateKey is a PKCS#11 URI with type=cert/);
  assert.throws(
    () => resolvePkcs11Spec({ pkcs11: { library, slotId: -1 } }),
    (e: unknown) => e instanceof ConfigurationError && e.option === "pkcs11.slotId",
  );
  assert.throws(
    () => resolvePkcs11Spec({ pkcs11: { library, privateKeyId: "xyz" } }),
    (e: unknown) => e instanceof ConfigurationError && e.option === "pkcs11.privateKeyId",
  );
});
