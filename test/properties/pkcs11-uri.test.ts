/**
 * Property-based tests for PKCS#11 URIs (RFC 7512) and the resolution of the
 * three ways to name a token key: generated strings, near-valid URIs and
 * config objects give a correct result or a typed ConfigurationError /
 * Pkcs11Error — and no error message ever holds a byte of a `pin-value`.
 * Nothing here touches a token.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CertcredsError, ConfigurationError } from "../../src/core/errors.js";
import { resolvePkcs11Spec } from "../../src/identity/sources/pkcs11/config.js";
import { pkcs11IdentityFromCli } from "../../src/identity/sources/pkcs11/cli-options.js";
import { Pkcs11Error } from "../../src/identity/sources/pkcs11/errors.js";
import { encodePkcs11Value, type Pkcs11Uri, parsePkcs11Uri, redactPkcs11Uri } from "../../src/identity/sources/pkcs11/uri.js";

/**
 * PINs are drawn from Greek letters (raw, or percent-encoded as UTF-8, which
 * starts with %CE/%CF), which nothing else generated here contains: any PIN
 * character in a message is then visible.
 */
const PIN_LETTERS = [..."αβγδεζηθικλμνξοπρστυφχψω"];
const pinLeak = /[α-ω]|%[cC][eEfF]%/;

/** Characters that stress the separators around a PIN. */
const pinChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PIN_LETTERS) },
  { weight: 1, arbitrary: fc.constantFrom(";", "&", "=", "?", "#", "%", "%4", "%zz", " ", "/", ",") },
);
const rawPin = fc.array(pinChar, { minLength: 1, maxLength: 12 }).map((chars) => {
  // At least one letter, so that a leak is always detectable.
  return `${PIN_LETTERS[chars.length % PIN_LETTERS.length]}${chars.join("")}`;
});
const encodedPin = fc
  .array(fc.constantFrom(...PIN_LETTERS), { minLength: 1, maxLength: 8 })
  .map((letters) => Array.from(Buffer.from(letters.join(""), "utf8"), (b) => `%${b.toString(16).toUpperCase()}`).join(""));

const PATH_NAMES = [
  "token",
  "manufacturer",
  "serial",
  "model",
  "library-manufacturer",
  "library-description",
  "library-version",
  "slot-description",
  "slot-manufacturer",
  "slot-id",
  "object",
  "id",
  "type",
];
const QUERY_NAMES = ["pin-value", "pin-source", "module-path", "module-name"];

/** Attribute names: known, misplaced, unknown, vendor, odd case, empty, PIN look-alikes. */
const attributeName = fc.oneof(
  fc.constantFrom(...PATH_NAMES, ...QUERY_NAMES),
  fc.constantFrom(
    "label",
    "x-vendor",
    "X-Other",
    "TOKEN",
    "Object",
    "pin",
    "pin-valu",
    "PIN-VALUE",
    "Pin-Value",
    "slot_id",
    "",
    " ",
    "pin%2Dvalue",
    "constructor",
    "__proto__",
    "toString",
  ),
  fc.stringMatching(/^[a-z-]{1,12}$/),
);

/** Values: plain, percent-encoded (valid or not), empty, unicode, separators, huge. */
const attributeValue = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{0,16}$/) },
  // Bytes 0xce/0xcf are left to the PINs' encoding (see pinLeak).
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => Array.from(b, (x) => `%${(x & 0xfe) === 0xce ? "00" : x.toString(16).padStart(2, "0")}`).join("")),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "%",
      "%1",
      "%g0",
      "%%",
      "%2",
      "%ZZ",
      "a%",
      "%c3%28",
      "%ff%fe",
      "%00",
      "%e2%82",
      "private",
      "cert",
      "secret",
      "-1",
      "007",
      "1e3",
      "0x10",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replace(/[α-ω]/g, "a")) },
  { weight: 1, arbitrary: fc.constantFrom(";", "&", "=", "?", "#", "/", "a=b", " x ") },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{1,40}$/) },
);

/** Hostile `pkcs11:` URIs: generated path and query attributes, some holding a PIN in any place. */
const hostileUri = fc
  .record({
    scheme: fc.constantFrom("pkcs11:", "PKCS11:", " pkcs11:", "pkcs11:\t"),
    path: fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.tuple(attributeName, attributeValue).map(([n, v]) => `${n}=${v}`) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom("pin-value", "PIN-VALUE", "pin"), rawPin).map(([n, v]) => `${n}=${v}`) },
        { weight: 1, arbitrary: rawPin.map((p) => `pin-value${p}`) },
        { weight: 1, arbitrary: fc.constantFrom("", "object", "=x", "==") },
      ),
      { maxLength: 6 },
    ),
    query: fc.option(
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(attributeName, attributeValue).map(([n, v]) => `${n}=${v}`) },
          {
            weight: 3,
            arbitrary: fc.tuple(fc.constantFrom("pin-value", "PIN-VALUE", "pin-valuex", "pin"), fc.oneof(rawPin, encodedPin)).map(([n, v]) => `${n}=${v}`),
          },
          { weight: 1, arbitrary: rawPin.map((p) => `pin-value${p}`) },
          { weight: 1, arbitrary: fc.constantFrom("", "module-path", "=") },
        ),
        { maxLength: 5 },
      ),
    ),
    fragment: fc.option(fc.constantFrom("#", "#frag", "#pin-value=x")),
  })
  .map(({ scheme, path, query, fragment }) => `${scheme}${path.join(";")}${query ? `?${query.join("&")}` : ""}${fragment ?? ""}`);

/** Valid values for each known attribute. */
const validPathAttribute = fc.oneof(
  fc
    .tuple(fc.constantFrom("token", "manufacturer", "serial", "model", "object", "slot-description"), fc.stringMatching(/^[A-Za-z0-9._~%20-]{0,12}$/))
    .map(([n, v]) => `${n}=${v.replace(/%(?!20)/g, "")}`),
  fc.uint8Array({ maxLength: 6 }).map((b) => `id=${Array.from(b, (x) => `%${(x & 0xfe) === 0xce ? "00" : x.toString(16).padStart(2, "0")}`).join("")}`),
  fc.nat().map((n) => `slot-id=${n}`),
  fc.constantFrom("private", "cert").map((t) => `type=${t}`),
  fc.constant("x-vendor=1"),
);

/** One mistake made to an otherwise valid URI, or none. */
const mistake = fc.constantFrom(
  "none",
  "none",
  "none",
  "duplicate",
  "unknown",
  "bad-percent",
  "pin-in-path",
  "unescaped-pin",
  "empty",
  "hash",
  "slot-huge",
  "pin-and-source",
  "module-name-path",
);

/** A valid URI with a PIN in its query, and sometimes one mistake. */
const nearValidCase = fc
  .record({
    path: fc.uniqueArray(validPathAttribute, { maxLength: 5, selector: (a) => a.split("=")[0] }),
    pin: fc.oneof(
      encodedPin,
      fc.array(fc.constantFrom(...PIN_LETTERS), { minLength: 1, maxLength: 8 }).map((l) => l.join("")),
    ),
    module: fc.option(fc.constantFrom("module-path=/usr/lib/softhsm/libsofthsm2.so", "module-name=softhsm2")),
    mistake,
    // What cuts or breaks a PIN in the query ("?", ";" and "=" are ordinary characters there).
    salt: fc.constantFrom("&", "%", "%2", "%g"),
  })
  .map(({ path, pin, module, mistake, salt }) => {
    const p = [...path];
    let q = [`pin-value=${pin}`, ...(module ? [module] : [])];
    if (mistake === "duplicate") {
      const twice = p.find((a) => !a.startsWith("x-")) ?? "object=a"; // vendor attributes may repeat
      p.push(twice, twice);
    }
    if (mistake === "unknown") q.push("label=k");
    if (mistake === "bad-percent") p.push("object=a%g1");
    if (mistake === "pin-in-path") {
      p.push(q[0]!);
      q = q.slice(1);
    }
    if (mistake === "unescaped-pin") q[0] = `${q[0]}${salt}${pin}`;
    if (mistake === "empty") p.push("", "");
    if (mistake === "hash") q[0] = `${q[0]}#${pin}`;
    if (mistake === "slot-huge") p.push(`slot-id=${"9".repeat(30)}`);
    if (mistake === "pin-and-source") q.push("pin-source=file:/run/pin");
    if (mistake === "module-name-path") q.push("module-name=../lib/x");
    return {
      uri: `pkcs11:${p.join(";")}${q.length ? `?${q.join("&")}` : ""}`,
      pin: Buffer.from(pin.replace(/%/g, ""), pin.startsWith("%") ? "hex" : "utf8").toString("utf8"),
      mistake,
    };
  });
const nearValidUri = nearValidCase.map(({ uri }) => uri);

/** Any of the above. */
const anyUri = fc.oneof(hostileUri, nearValidUri);

/** Calls `fn`; a thrown error must be a ConfigurationError or Pkcs11Error naming an option, with no PIN character in it. */
function typedOrOk<T>(fn: () => T, pins = true): T | CertcredsError {
  try {
    return fn();
  } catch (error) {
    assert.ok(error instanceof ConfigurationError || error instanceof Pkcs11Error, `untyped error: ${(error as Error)?.name}: ${(error as Error)?.message}`);
    assert.ok(typeof error.option === "string" && error.option !== "", "the error names the option");
    if (pins) {
      assert.doesNotMatch(error.message, pinLeak, "a PIN character leaks in the message");
      assert.doesNotMatch(String((error as Error).stack), pinLeak, "a PIN character leaks in the stack");
    }
    return error;
  }
}

const counts = { parsed: 0, refused: 0 };

test("parsePkcs11Uri: arbitrary strings give a ConfigurationError or a result", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.string({ maxLength: 200 }).map((s) => `pkcs11:${s}`),
        fc.string({ unit: "binary", maxLength: 200 }).map((s) => `pkcs11:${s}`),
      ),
      fc.constantFrom("privateKey", "certificate", "pkcs11"),
      (uri, option) => {
        const result = typedOrOk(() => parsePkcs11Uri(uri, option), false);
        if (result instanceof ConfigurationError) assert.equal(result.option, option);
      },
    ),
    { numRuns: 10_000 },
  );
});

test("parsePkcs11Uri: near-valid URIs — a result or a ConfigurationError, the PIN never shown", () => {
  fc.assert(
    fc.property(anyUri, (uri) => {
      const result = typedOrOk(() => parsePkcs11Uri(uri, "privateKey"));
      if (result instanceof ConfigurationError) {
        counts.refused++;
        assert.match(result.message, /^privateKey /, "the message names the option first");
      } else {
        counts.parsed++;
        assert.ok(!(result as Pkcs11Uri).pinValue || !(result as Pkcs11Uri).pinSource, "never both PIN sources");
      }
      assert.doesNotMatch(redactPkcs11Uri(uri), pinLeak, "redactPkcs11Uri hides every PIN character");
    }),
    { numRuns: 10_000 },
  );
  // The generator must reach both outcomes for the property to mean anything.
  assert.ok(counts.parsed > 500 && counts.refused > 500, `parsed ${counts.parsed}, refused ${counts.refused}`);
});

test("parsePkcs11Uri: valid URIs parse to their PIN; each kind of mistake is refused", () => {
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(nearValidCase, ({ uri, pin, mistake }) => {
      seen.set(mistake, (seen.get(mistake) ?? 0) + 1);
      const result = typedOrOk(() => parsePkcs11Uri(uri, "certificate"));
      if (mistake === "none") {
        assert.ok(!(result instanceof CertcredsError), `refused: ${(result as Error).message}`);
        assert.equal((result as Pkcs11Uri).pinValue, pin);
      } else {
        assert.ok(result instanceof ConfigurationError, `mistake "${mistake}" accepted: ${redactPkcs11Uri(uri)}`);
      }
    }),
    { numRuns: 5_000 },
  );
  assert.equal(seen.size, 11, "every kind of mistake (and none) was generated");
});

test("parsePkcs11Uri: specific hostile forms", () => {
  const pin = "αβγδ";
  for (const uri of [
    `pkcs11:pin-value=${pin}`,
    `pkcs11:object=k;pin-value=ab&${pin}`,
    `pkcs11:object=k?pin-valuex=${pin}`,
    `pkcs11:object=k?pin=${pin}`,
    ` pkcs11:PIN-VALUE=${pin};object=k`,
    `pkcs11:object=k?pin-value=${pin}&pin-value=${pin}`,
    `pkcs11:object=%zz?pin-value=${pin};x&module-path=/m.so`,
  ]) {
    const error = typedOrOk(() => parsePkcs11Uri(uri, "privateKey"));
    assert.ok(error instanceof ConfigurationError, `${redactPkcs11Uri(uri)} is refused`);
  }
  // slot-id beyond what a number holds exactly is refused rather than rounded.
  for (const digits of ["9".repeat(400), "18446744073709551616", "9007199254740993"]) {
    const error = typedOrOk(() => parsePkcs11Uri(`pkcs11:slot-id=${digits}`, "pkcs11"));
    assert.ok(error instanceof ConfigurationError, `slot-id=${digits.slice(0, 20)}… is refused`);
    assert.match(error.message, /slot-id/);
  }
  assert.equal(parsePkcs11Uri("pkcs11:slot-id=9007199254740991").slotId, 9_007_199_254_740_991);
  // A value starting with U+FEFF keeps it (TextDecoder drops a leading BOM unless told not to).
  assert.equal(parsePkcs11Uri("pkcs11:object=%EF%BB%BFkey").object, "\uFEFFkey");
  // Names of Object.prototype are no attributes, and an unknown name is shown as typed.
  for (const uri of ["pkcs11:constructor=x", "pkcs11:?__proto__=x", "pkcs11:toString=1", "pkcs11:object=k?hasOwnProperty=1"]) {
    const error = typedOrOk(() => parsePkcs11Uri(uri, "pkcs11"));
    assert.ok(error instanceof ConfigurationError, `${uri} is refused`);
    assert.match(error.message, /unknown attribute "(constructor|__proto__|tostring|hasownproperty)"/i);
  }
  // module-name is a name, not a path.
  for (const name of ["../../../tmp/evil", "/usr/lib/x", "a\\b", ""]) {
    const error = typedOrOk(() => parsePkcs11Uri(`pkcs11:object=k?module-name=${encodeURIComponent(name)}`, "privateKey"));
    assert.ok(error instanceof ConfigurationError, `module-name=${name} is refused`);
    assert.match(error.message, /module-name/);
  }
});

/** A value percent-encoded byte by byte, each safe byte either kept or escaped (either hex case). */
function encodeMixed(value: string, escapeSafe: readonly boolean[], query: boolean): string {
  return Array.from(Buffer.from(value, "utf8"), (b, i) => {
    const ch = String.fromCharCode(b);
    // ";" separates path attributes and "&" query ones: both always escaped, like "?", "#" and "%".
    const safe = b < 0x80 && /[A-Za-z0-9\-._~:@!$'()*+,=/]/.test(ch) && !(query ? ch === "&" : ch === ";");
    if (safe && !escapeSafe[i % Math.max(1, escapeSafe.length)]) return ch;
    const hex = b.toString(16).padStart(2, "0");
    return `%${escapeSafe[(i + 1) % Math.max(1, escapeSafe.length)] ? hex.toUpperCase() : hex}`;
  }).join("");
}

const text = fc.string({ unit: "binary", maxLength: 30 }).filter((s) => Buffer.from(s, "utf8").toString("utf8") === s);

test("round trip: generated attributes, encoded in any order and case, parse to the same values", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.record(
        {
          token: text,
          manufacturer: text,
          serial: text,
          model: text,
          "library-manufacturer": text,
          "library-description": text,
          "library-version": text,
          "slot-description": text,
          "slot-manufacturer": text,
          object: text,
        },
        { requiredKeys: [] },
      ),
      fc.option(fc.uint8Array({ maxLength: 32 })),
      fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER })),
      fc.option(fc.constantFrom("private", "public", "cert", "secret-key", "data")),
      fc.record(
        {
          "module-path": text.filter((s) => s !== ""),
          pin: fc.oneof(
            text.map((v) => ["pin-value", v] as const),
            text.map((v) => ["pin-source", v] as const),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
      fc.boolean(),
      fc.nat(),
      (pathValues, id, slotId, type, queryValues, escapes, useLibraryEncoder, shuffle) => {
        runs++;
        const encodePath = (v: string) => (useLibraryEncoder ? encodePkcs11Value(v) : encodeMixed(v, escapes, false));
        const path: string[] = Object.entries(pathValues).map(([name, value]) => `${name}=${encodePath(value as string)}`);
        if (id !== null) path.push(`id=${Array.from(id, (b) => `%${b.toString(16).padStart(2, "0")}`).join("")}`);
        if (slotId !== null) path.push(`slot-id=${slotId}`);
        if (type !== null) path.push(`type=${type}`);
        path.push("x-vendor=anything%20here");
        const query: string[] = [];
        if (queryValues["module-path"] !== undefined) query.push(`module-path=${encodeMixed(queryValues["module-path"], escapes, true)}`);
        if (queryValues.pin) query.push(`${queryValues.pin[0]}=${encodeMixed(queryValues.pin[1], escapes, true)}`);
        // Any order: rotate and flip names' case (RFC 7512 names are read case-insensitively here).
        const rotate = (list: string[]) => list.map((_, i) => list[(i + shuffle) % list.length]!);
        const cased = (part: string) => (shuffle % 3 === 0 ? part.replace(/^[^=]+/, (n) => n.toUpperCase()) : part);
        const uri = `pkcs11:${rotate(path).map(cased).join(";")}${query.length ? `?${rotate(query).map(cased).join("&")}` : ""}`;

        const parsed = parsePkcs11Uri(uri);
        const expected: Pkcs11Uri = {};
        const field: Record<string, keyof Pkcs11Uri> = {
          "library-manufacturer": "libraryManufacturer",
          "library-description": "libraryDescription",
          "library-version": "libraryVersion",
          "slot-description": "slotDescription",
          "slot-manufacturer": "slotManufacturer",
        };
        for (const [name, value] of Object.entries(pathValues)) (expected as Record<string, unknown>)[field[name] ?? name] = value;
        if (id !== null) expected.id = id;
        if (slotId !== null) expected.slotId = slotId;
        if (type !== null) expected.type = type;
        if (queryValues["module-path"] !== undefined) expected.modulePath = queryValues["module-path"];
        if (queryValues.pin) expected[queryValues.pin[0] === "pin-value" ? "pinValue" : "pinSource"] = queryValues.pin[1];
        assert.deepEqual({ ...parsed, ...(parsed.id ? { id: [...parsed.id] } : {}) }, { ...expected, ...(expected.id ? { id: [...expected.id] } : {}) });
      },
    ),
    { numRuns: 5_000 },
  );
  assert.equal(runs, 5_000);
});

test("huge values and many attributes parse in linear time", () => {
  const big = "a".repeat(1_000_000);
  const started = performance.now();
  assert.equal(parsePkcs11Uri(`pkcs11:object=${big}`).object, big);
  assert.equal(parsePkcs11Uri(`pkcs11:id=${"%01".repeat(300_000)}`).id?.length, 300_000);
  assert.deepEqual(parsePkcs11Uri(`pkcs11:${Array.from({ length: 100_000 }, (_, i) => `x-a${i}=v`).join(";")}`), {});
  const refused = typedOrOk(() => parsePkcs11Uri(`pkcs11:object=${big};object=${big}?pin-value=${"α".repeat(100_000)}`, "pkcs11"));
  assert.ok(refused instanceof ConfigurationError);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
});

/** Values of a Pkcs11Config field as a JavaScript caller might pass them: right type, wrong type, odd shapes. */
const anyField = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom("01", "a1:b2", "0x0102", "%01%02", "%zz", "zz", "", " ") },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), fc.bigInt()) },
);

const pinOrNot = fc.oneof(
  fc.constant(""),
  rawPin.map((p) => `?pin-value=${p}`),
  fc.constant("?pin-source=file:/run/pin"),
);

/**
 * Config objects a caller would write: the library named, the other fields of the right types. The library path is
 * only a name here (resolvePkcs11Spec loads nothing), so whether they resolve does not depend on this machine.
 */
const wellFormedConfig = fc.record(
  {
    library: fc.constantFrom("/usr/lib/softhsm/libsofthsm2.so", "/opt/vendor/lib/pkcs11.so", "C:\\Program Files\\Vendor\\pkcs11.dll"),
    userPin: rawPin,
    slotId: fc.nat(),
    tokenLabel: fc.stringMatching(/^[\w .-]{1,16}$/),
    tokenSerial: fc.stringMatching(/^[0-9a-f]{1,16}$/),
    privateKeyLabel: fc.stringMatching(/^[\w .-]{1,16}$/),
    privateKeyId: fc.oneof(fc.constantFrom("01", "a1:b2", "0x0102", "%01%02"), fc.uint8Array({ minLength: 1, maxLength: 8 })),
    reusePin: fc.boolean(),
  },
  { requiredKeys: ["library"] },
);

/**
 * Where the library of a resolved spec came from is named by its libraryOption. Two sources look on disk: with no
 * library named, the default is p11-kit-proxy where it is installed; module-name= finds a module in the system's
 * directories. How many generated configurations resolve through those depends on the machine (hundreds with
 * p11-kit installed, none without), so only the libraries the inputs name themselves count below.
 */
const libraryFoundOnDisk = (libraryOption: string) => libraryOption.includes("default") || libraryOption.startsWith("module-name");

test("resolvePkcs11Spec: generated config objects and URIs give a spec or a typed error, the PIN never shown", () => {
  let resolved = 0;
  fc.assert(
    fc.property(
      fc.option(
        fc.oneof(
          wellFormedConfig,
          fc.record(
            {
              library: anyField,
              userPin: fc.oneof(rawPin, anyField),
              slotId: fc.oneof(fc.nat(), anyField),
              tokenLabel: anyField,
              tokenSerial: anyField,
              privateKeyLabel: anyField,
              privateKeyId: anyField,
              certificateLabel: anyField,
              certificateId: anyField,
              reusePin: anyField,
            },
            { requiredKeys: [] },
          ),
          fc.tuple(anyUri, pinOrNot).map(([uri, pin]) => `${uri}${uri.includes("?") ? pin.replace("?", "&") : pin}`),
          fc.oneof(fc.integer(), fc.constant(null), fc.constant([]), fc.boolean()),
        ),
        { nil: undefined },
      ),
      fc.option(fc.oneof(anyUri, fc.constant("/etc/device.key")), { nil: undefined }),
      fc.option(fc.oneof(anyUri, fc.constant("/etc/device.pem"), fc.uint8Array({ maxLength: 4 })), { nil: undefined }),
      (pkcs11, privateKey, certificate) => {
        const result = typedOrOk(() =>
          resolvePkcs11Spec({
            ...(pkcs11 !== undefined ? { pkcs11: pkcs11 as never } : {}),
            ...(privateKey !== undefined ? { privateKey } : {}),
            ...(certificate !== undefined ? { certificate } : {}),
          }),
        );
        if (result instanceof CertcredsError) return;
        if (!libraryFoundOnDisk(result.libraryOption)) resolved++;
        assert.equal(typeof result.library, "string");
        assert.notEqual(result.library.trim(), "");
        for (const selector of [result.token.label, result.token.serial, result.key.label]) {
          assert.ok(selector === undefined || typeof selector === "string", `selectors are text, got ${typeof selector}`);
        }
        assert.ok(result.key.id === undefined || Buffer.isBuffer(result.key.id));
        assert.ok(result.token.slotId === undefined || Number.isSafeInteger(result.token.slotId));
      },
    ),
    // With the well-formed arm added, the other arms still get as many runs as before (3/4 of 7,000 ≥ 5,000).
    { numRuns: 7_000 },
  );
  assert.ok(resolved > 100, `only ${resolved} configurations that name their library resolved`);
});

test("pkcs11IdentityFromCli: generated --certificate/--private-key URIs and --pkcs11-lib", () => {
  fc.assert(
    fc.property(
      fc.option(fc.oneof(anyUri, fc.constant("/etc/device.pem")), { nil: undefined }),
      fc.option(anyUri, { nil: undefined }),
      fc.option(fc.oneof(fc.constant(""), fc.constant("/usr/lib/softhsm/libsofthsm2.so"), fc.string({ maxLength: 10 })), { nil: undefined }),
      fc.boolean(),
      (certificate, privateKey, pkcs11Lib, reusePin) => {
        typedOrOk(() => pkcs11IdentityFromCli({ certificate, privateKey, pkcs11Lib, reusePin }));
      },
    ),
    { numRuns: 3_000 },
  );
});
