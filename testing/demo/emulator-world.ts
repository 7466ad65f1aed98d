/**
 * The world `certcreds emulate` runs: a throwaway PKI and the IAM Roles
 * Anywhere, AWS IoT and STS emulators on 127.0.0.1, sharing one store of
 * issued credentials so that STS accepts what either mechanism vends. It
 * returns the PEM texts and the values a client needs; what to do with them
 * (files, profiles) is the caller's.
 */
import { createTestCertificateAuthority, IssuedCredentialStore, startIotCredentialEmulator, startRolesAnywhereEmulator, startStsEmulator } from "../index.js";

/** Where the emulators listen; 0 (the default) picks a free port. */
export interface EmulatorPorts {
  rolesAnywhere?: number;
  iot?: number;
  sts?: number;
}

/** A certificate and its private key (PEM). */
export interface Credential {
  certificatePem: string;
  privateKeyPem: string;
}

/** The running emulators and what a client needs to reach them. */
export interface EmulatorWorld {
  region: string;
  accountId: string;
  rolesAnywhere: {
    url: string;
    trustAnchorArn: string;
    profileArn: string;
    roleArn: string;
    /** The trust anchor's CA (PEM). */
    rootCaPem: string;
    /** The intermediate CA that issued the device certificate (PEM). */
    intermediatePem: string;
    device: Credential;
  };
  iot: {
    url: string;
    roleAlias: string;
    roleArn: string;
    thingName: string;
    thing: Credential;
    /** The CA that issued the endpoint's TLS certificate: the bundle a client trusts instead of Amazon's roots. */
    endpointCaPem: string;
  };
  sts: { url: string };
  close(): Promise<void>;
}

const ACCOUNT = "123456789012";
const DAY_MS = 24 * 3600_000;

/** Starts the PKI and the three emulators; on a failure (a port in use) whatever started is stopped again. */
export async function startEmulatorWorld(ports: EmulatorPorts = {}): Promise<EmulatorWorld> {
  // 90 days: longer than anyone leaves an emulator running (the PKI is new at every start), and past
  // the 30-day expiry warning, which a first run should not meet.
  const notAfter = new Date(Date.now() + 90 * DAY_MS);
  const raRoot = await createTestCertificateAuthority({ commonName: "certcreds emulate root CA" });
  const raIntermediate = await raRoot.createIntermediate({ commonName: "certcreds emulate issuing CA", notAfter });
  const device = await raIntermediate.issue({ commonName: "emulate-device", keyType: "ec-p256", notAfter });
  const endpointCa = await createTestCertificateAuthority({ commonName: "certcreds emulate IoT endpoint CA" });
  const endpoint = await endpointCa.issue({
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    extendedKeyUsage: ["serverAuth"],
    notAfter,
  });
  const thingCa = await createTestCertificateAuthority({ commonName: "certcreds emulate thing CA" });
  const thingName = "emulate-thing";
  const thing = await thingCa.issue({ commonName: thingName, keyType: "ec-p256", extendedKeyUsage: ["clientAuth"], notAfter });

  const issued = new IssuedCredentialStore();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(closers.map((closeOne) => closeOne()));
  };
  try {
    const ra = await startRolesAnywhereEmulator({
      port: ports.rolesAnywhere ?? 0,
      accountId: ACCOUNT,
      trustAnchors: [{ certificates: [raRoot.certificatePem] }],
      profiles: [{ roleArns: [`arn:aws:iam::${ACCOUNT}:role/emulate-device-role`], durationSeconds: 3600 }],
      issued,
    });
    closers.push(() => ra.close());
    const roleAlias = "emulate-role-alias";
    const iotRoleArn = `arn:aws:iam::${ACCOUNT}:role/emulate-iot-role`;
    const iot = await startIotCredentialEmulator({
      port: ports.iot ?? 0,
      serverCertificate: { cert: endpoint.certificatePem, key: endpoint.privateKeyPem! },
      registeredCas: [thingCa.certificatePem],
      things: [{ name: thingName, certificates: [thing.certificatePem] }],
      roleAliases: [{ alias: roleAlias, roleArn: iotRoleArn, credentialDurationSeconds: 3600 }],
      issued,
    });
    closers.push(() => iot.close());
    const sts = await startStsEmulator({ port: ports.sts ?? 0, issued });
    closers.push(() => sts.close());
    return {
      region: ra.region,
      accountId: ra.accountId,
      rolesAnywhere: {
        url: ra.url,
        trustAnchorArn: ra.trustAnchorArn,
        profileArn: ra.profileArn,
        roleArn: ra.roleArn,
        rootCaPem: raRoot.certificatePem,
        intermediatePem: raIntermediate.certificatePem,
        device: { certificatePem: device.certificatePem, privateKeyPem: device.privateKeyPem! },
      },
      iot: {
        url: iot.url,
        roleAlias,
        roleArn: iotRoleArn,
        thingName,
        thing: { certificatePem: thing.certificatePem, privateKeyPem: thing.privateKeyPem! },
        endpointCaPem: endpointCa.certificatePem,
      },
      sts: { url: sts.url },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
