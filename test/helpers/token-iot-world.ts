/**
 * A thing whose keys live on a SoftHSM2 token (EC P-256 with its certificate
 * on the token, RSA-2048 with its certificate in PEM), and an IoT emulator
 * that knows it: what the PKCS#11 IoT tests and the aws-crt transport tests share.
 */
import { createTestCertificateAuthority, type IotCredentialEmulator, startIotCredentialEmulator, type TestCertificate } from "../../testing/index.js";
import { createServerPki, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "./iot-fixture.js";
import { createSoftHsm, type SoftHsm } from "./softhsm.js";

export interface TokenIotWorld {
  hsm: SoftHsm;
  server: ServerPki;
  emulator: IotCredentialEmulator;
  things: Record<"ec" | "rsa", TestCertificate>;
  close(): Promise<void>;
}

export async function createTokenIotWorld(token: string, pin: string): Promise<TokenIotWorld> {
  const hsm = await createSoftHsm([{ label: token, pin }]);
  const server = await createServerPki();
  const deviceCa = await createTestCertificateAuthority({ commonName: "certcreds test device CA" });
  const things = {
    ec: await deviceCa.issue({
      commonName: THING,
      publicKey: await hsm.generateKey(token, "ec-p256", { id: "01", label: "thing-ec" }),
      extendedKeyUsage: ["clientAuth"],
    }),
    rsa: await deviceCa.issue({
      commonName: THING,
      publicKey: await hsm.generateKey(token, "rsa-2048", { id: "02", label: "thing-rsa" }),
      extendedKeyUsage: ["clientAuth"],
    }),
  };
  await hsm.writeCertificate(token, things.ec.certificateDer, { id: "01", label: "thing-ec" });
  const emulator = await startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [deviceCa.certificatePem],
    things: [{ name: THING, certificates: [things.ec.certificatePem, things.rsa.certificatePem] }],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
  });
  return {
    hsm,
    server,
    emulator,
    things,
    async close() {
      await emulator.close();
      await hsm.close();
    },
  };
}
