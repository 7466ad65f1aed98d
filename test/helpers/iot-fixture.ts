import type { IotSessionInit } from "../../src/index.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type IotCredentialEmulatorOptions,
  type IotRoleAliasConfig,
  startIotCredentialEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
  type TestKeyType,
} from "../../testing/index.js";

export const ROLE_ARN = "arn:aws:iam::123456789012:role/iot-device-role";
export const ROLE_ALIAS = "device-role-alias";
export const THING = "thermostat-0042";

/** A server CA and its certificate for 127.0.0.1 and localhost, shared by the tests of a file. */
export interface ServerPki {
  ca: TestCertificateAuthority;
  cert: string;
  key: string;
}

export async function createServerPki(commonName = "certcreds test IoT endpoint CA"): Promise<ServerPki> {
  const ca = await createTestCertificateAuthority({ commonName });
  const server = await ca.issue({
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    extendedKeyUsage: ["serverAuth"],
  });
  return { ca, cert: server.certificatePem, key: server.privateKeyPem! };
}

/** A registered device CA and one thing certificate issued by it. */
export interface DevicePki {
  ca: TestCertificateAuthority;
  thing: TestCertificate & { privateKeyPem: string };
}

export async function createDevicePki(keyType: TestKeyType = "ec-p256"): Promise<DevicePki> {
  const ca = await createTestCertificateAuthority({ commonName: "certcreds test device CA", keyType: keyType.startsWith("rsa") ? "rsa-2048" : "ec-p256" });
  const thing = await ca.issue({ commonName: THING, keyType, extendedKeyUsage: ["clientAuth"] });
  return { ca, thing: thing as TestCertificate & { privateKeyPem: string } };
}

/** An emulator that knows the device PKI's CA, the thing and one role alias. */
export async function startEmulatorFor(
  server: ServerPki,
  device: DevicePki,
  overrides: Partial<IotCredentialEmulatorOptions> & { alias?: Partial<IotRoleAliasConfig> } = {},
): Promise<IotCredentialEmulator> {
  const { alias, ...rest } = overrides;
  return startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [device.ca.certificatePem],
    things: [{ name: THING, certificates: [device.thing.certificatePem] }],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN, ...alias }],
    ...rest,
  });
}

/** The init that reaches the emulator with the thing's identity as PEM text. */
export function initFor(emulator: IotCredentialEmulator, server: ServerPki, device: DevicePki, extra: Partial<IotSessionInit> = {}): IotSessionInit {
  return {
    endpoint: emulator.url,
    roleAlias: ROLE_ALIAS,
    thingName: THING,
    certificate: device.thing.certificatePem,
    privateKey: device.thing.privateKeyPem,
    ca: server.ca.certificatePem,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  };
}
