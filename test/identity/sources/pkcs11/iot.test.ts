import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession } from "../../../../src/index.js";
import type { IotCredentialEmulator, TestCertificate } from "../../../../testing/index.js";
import { startTestConnectProxy } from "../../../../testing/emulators/connect-proxy.js";
import { ROLE_ALIAS, type ServerPki, THING } from "../../../helpers/iot-fixture.js";
import { assertNoSecrets, CapturingLogger } from "../../../helpers/log-capture.js";
import { type SoftHsm, softHsmUnavailable } from "../../../helpers/softhsm.js";
import { createTokenIotWorld, type TokenIotWorld } from "../../../helpers/token-iot-world.js";

const unavailable = softHsmUnavailable();
const TOKEN = "iot-token";
const PIN = "iot-pin-5521";

describe("IotCredentialSession with the thing's key on a SoftHSM2 token (aws-crt)", { skip: unavailable }, () => {
  let hsm: SoftHsm;
  let server: ServerPki;
  let emulator: IotCredentialEmulator;
  const things: Record<"ec" | "rsa", TestCertificate> = {} as never;

  let world: TokenIotWorld | undefined;

  before(async () => {
    world = await createTokenIotWorld(TOKEN, PIN);
    ({ hsm, server, emulator } = world);
    Object.assign(things, world.things);
  });
  after(async () => {
    await world?.close();
  });

  for (const keyType of ["ec", "rsa"] as const) {
    test(`IotCredentialSession with pkcs11 (${keyType === "ec" ? "EC P-256" : "RSA-2048"}): credentials at each refresh, no PIN in the logs`, async () => {
      const logger = new CapturingLogger();
      const session = new IotCredentialSession({
        endpoint: emulator.url,
        roleAlias: ROLE_ALIAS,
        thingName: THING,
        ca: server.ca.certificatePem,
        // The certificate comes from the token for the EC thing, from PEM for the RSA one.
        ...(keyType === "ec" ? {} : { certificate: things.rsa.certificatePem }),
        pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: `thing-${keyType}` },
        logger,
      });
      try {
        const first = await session.getCredentials();
        const second = await session.getCredentials({ forceRefresh: true });
        assert.notEqual(first.accessKeyId, second.accessKeyId);
        for (const credentials of [first, second]) assert.ok(emulator.issued.has(credentials.accessKeyId));
        assert.equal(emulator.requests.at(-1)!.clientCertificateId, things[keyType].certificate.fingerprint256.replace(/:/g, "").toLowerCase());
        assertNoSecrets(logger.lines, [PIN, first.secretAccessKey, second.secretAccessKey]);
      } finally {
        await session.close();
      }
    });
  }

  test("through an HTTP CONNECT proxy", async () => {
    const proxy = await startTestConnectProxy();
    const session = new IotCredentialSession({
      endpoint: emulator.url,
      roleAlias: ROLE_ALIAS,
      thingName: THING,
      ca: server.ca.certificatePem,
      certificate: things.ec.certificatePem,
      pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "thing-ec" },
      proxy: proxy.url,
    });
    try {
      const credentials = await session.getCredentials();
      assert.ok(emulator.issued.has(credentials.accessKeyId));
      assert.equal(proxy.tunnels.length, 1, "one CONNECT tunnel to the endpoint");
    } finally {
      await session.close();
      await proxy.close();
    }
  });
});
