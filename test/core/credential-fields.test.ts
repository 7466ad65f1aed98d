/**
 * One check for every credential field from every endpoint: shapes and
 * bounds of AWS's own, and lifetimes no AWS service grants.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { credentialFieldProblem, credentialsFromFields, MAX_CREDENTIAL_LIFETIME_MS } from "../../src/core/credentials.js";
import { ResponseFormatError } from "../../src/core/errors.js";
import { processOutput, toProcessCredentials } from "../../src/surfaces/credential-process/process-credentials.js";
import { setProfileKeys } from "../../src/surfaces/credentials-file/credentials-file.js";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const good = {
  accessKeyId: "ASIAEXAMPLE000000001",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=",
  expiration: new Date(NOW + 3600_000).toISOString(),
};

test("AWS-shaped fields are accepted as they are", () => {
  const credentials = credentialsFromFields(good, "rolesanywhere", NOW, "123456789012");
  assert.equal(credentials.accessKeyId, good.accessKeyId);
  assert.equal(credentials.accountId, "123456789012");
  assert.equal(credentials.expiration.getTime(), NOW + 3600_000);
});

test("line breaks, spaces, control characters and oversize values are refused, without quoting the value", () => {
  const cases: [keyof typeof good, string][] = [
    ["accessKeyId", "ASIAEXAMPLE000000001\n[prod]\ncredential_process = sh -c id"],
    ["accessKeyId", "asiaexample000000001"],
    ["accessKeyId", "ASIA"],
    ["secretAccessKey", "secret with spaces"],
    ["secretAccessKey", "x".repeat(257)],
    ["sessionToken", "token\r\nX-Injected: 1"],
    ["sessionToken", "t".repeat(16_385)],
    ["sessionToken", "\u001b[31mred"],
  ];
  for (const [field, value] of cases) {
    assert.throws(
      () => credentialsFromFields({ ...good, [field]: value }, "iot", NOW),
      (error: unknown) => error instanceof ResponseFormatError && new RegExp(`malformed ${field}`).test(error.message) && !error.message.includes(value),
      `${field} ${JSON.stringify(value.slice(0, 30))}`,
    );
  }
});

test("lifetimes beyond what AWS grants (12 h) are refused, naming the clock", () => {
  assert.throws(
    () => credentialsFromFields({ ...good, expiration: "2199-01-01T00:00:00Z" }, "rolesanywhere", NOW),
    (error: unknown) => error instanceof ResponseFormatError && /at most 12: this machine's clock is behind/.test(error.message),
  );
  const longest = new Date(NOW + MAX_CREDENTIAL_LIFETIME_MS).toISOString();
  assert.equal(credentialsFromFields({ ...good, expiration: longest }, "iot", NOW).expiration.toISOString(), longest);
  assert.throws(() => credentialsFromFields(good, "rolesanywhere", NOW, "12345"), /not 12 digits/);
});

test("property: any answer is a typed error or credentials every surface writes back intact", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("ASIAEXAMPLE000000001", "x".repeat(300), "a\nb", "[default]", "=", ""),
    { arbitrary: fc.stringMatching(/^[A-Z0-9]{16,30}$/), weight: 6 },
    { arbitrary: fc.stringMatching(/^[!-~]{1,60}$/), weight: 6 },
  );
  const expiration = fc.oneof(
    { arbitrary: fc.integer({ min: -86_400_000, max: 2 * 86_400_000 }).map((offset) => new Date(NOW + offset).toISOString()), weight: 6 },
    fc.constantFrom("2199-01-01T00:00:00Z", "+275760-09-13T00:00:00.000Z", "not a date", "", "1970-01-01T00:00:00Z"),
    fc.integer(),
    fc.constant(null),
  );
  let accepted = 0;
  fc.assert(
    fc.property(text, text, text, expiration, (accessKeyId, secretAccessKey, sessionToken, expires) => {
      let credentials: ReturnType<typeof credentialsFromFields>;
      try {
        credentials = credentialsFromFields({ accessKeyId, secretAccessKey, sessionToken, expiration: expires }, "iot", NOW);
      } catch (error) {
        assert.ok(error instanceof ResponseFormatError, String(error));
        assert.ok(!/[\r\n]/.test(error.message), "one line");
        return;
      }
      accepted++;
      // credential_process: one JSON line that parses back to the same fields, with a 4-digit-year expiration.
      const line = processOutput(toProcessCredentials(credentials));
      assert.equal(line.split("\n").length, 2);
      const parsed = JSON.parse(line);
      assert.equal(parsed.AccessKeyId, accessKeyId);
      assert.equal(parsed.SessionToken, sessionToken);
      assert.match(parsed.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // The shared credentials file: exactly the three lines of the profile, nothing smuggled in.
      const file = setProfileKeys("", "default", {
        aws_access_key_id: credentials.accessKeyId,
        aws_secret_access_key: credentials.secretAccessKey,
        aws_session_token: credentials.sessionToken,
      });
      assert.equal(file.trimEnd().split("\n").length, 4);
    }),
    { numRuns: 5_000 },
  );
  assert.ok(accepted > 50, `${accepted} well-formed answers were generated`);
});

test("the credentials-file writer refuses a control character in any value (defence in depth)", () => {
  for (const value of ["AKIA\n[prod]", "a\rb", "\u0000"]) {
    assert.throws(() => setProfileKeys("", "default", { aws_access_key_id: value, aws_secret_access_key: "s", aws_session_token: "t" }), RangeError);
  }
  assert.throws(() => setProfileKeys("", "p\nq", { aws_access_key_id: "A", aws_secret_access_key: "s", aws_session_token: "t" }), RangeError);
  assert.equal(credentialFieldProblem("accessKeyId", "ASIAEXAMPLE000000001"), undefined);
});
