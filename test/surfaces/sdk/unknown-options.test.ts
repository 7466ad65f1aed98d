/** A misspelled option is an error at construction that names the nearest option, never silently ignored. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigurationError, createCredentialSession, fromIotCredentialProvider, RolesAnywhereSession } from "../../../src/index.js";

const ra = {
  certificate: "/etc/device/cert.pem",
  privateKey: "/etc/device/key.pem",
  trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
  profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
  roleArn: "arn:aws:iam::123456789012:role/r",
};
const iot = { endpoint: "c2abc.credentials.iot.us-east-1.amazonaws.com", roleAlias: "alias", thingName: "thing", certificate: "/c.pem", privateKey: "/k.pem" };

test("Roles Anywhere: roleArm suggests roleArn; every known option is accepted", () => {
  const { roleArn, ...rest } = ra;
  assert.throws(
    () => new RolesAnywhereSession({ ...rest, roleArm: roleArn } as never),
    (error: unknown) =>
      error instanceof ConfigurationError && error.option === "roleArm" && /has no option "roleArm"\. Did you mean roleArn\?/.test(error.message),
  );
  const session = new RolesAnywhereSession({
    ...ra,
    durationSeconds: 900,
    logLevel: "none",
    refresh: { jitter: false },
    timeoutMs: 5000,
    useFipsEndpoint: false,
  });
  void session.close();
});

test("IoT: thingname suggests thingName; an option of the other mechanism is named as unknown", () => {
  const { thingName, ...rest } = iot;
  assert.throws(() => fromIotCredentialProvider({ ...rest, thingname: thingName } as never), /has no option "thingname"\. Did you mean thingName\?/);
  assert.throws(
    () => createCredentialSession({ ...iot, durationSeconds: 900 } as never),
    (error: unknown) => error instanceof ConfigurationError && error.option === "durationSeconds",
  );
});
