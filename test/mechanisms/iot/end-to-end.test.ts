import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ConfigurationError } from "../../../src/core/errors.js";
import type { MaterialInput } from "../../../src/identity/material.js";
import { type CertificateSessionInit, createCredentialSession, fromCertificate } from "../../../src/surfaces/sdk/any-mechanism.js";
import { fromIotCredentialProvider, IotCredentialSession } from "../../../src/surfaces/sdk/iot.js";
import { RolesAnywhereSession } from "../../../src/surfaces/sdk/roles-anywhere.js";
import {
  type IotCredentialEmulator,
  IssuedCredentialStore,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
  type TestCertificateAuthority,
} from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../helpers/iot-fixture.js";

let dir: string;
let server: ServerPki;
let rsa: DevicePki;
let ec: DevicePki;
let issuing: TestCertificateAuthority;
let chained: DevicePki["thing"];
const issued = new IssuedCredentialStore();
let iot: IotCredentialEmulator;
let sts: StsEmulator;

const sha256 = (der: Buffer) => createHash("sha256").update(der).digest("hex");

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-iot-"));
  [server, rsa, ec] = await Promise.all([createServerPki(), createDevicePki("rsa-2048"), createDevicePki("ec-p256")]);
  issuing = await ec.ca.createIntermediate({ commonName: "certcreds test issuing CA" });
  chained = (await issuing.issue({ commonName: "chained-thing", keyType: "ec-p384", extendedKeyUsage: ["clientAuth"] })) as DevicePki["thing"];
  iot = await startIotCredentialEmulator({
    serverCertificate: { cert: server.cert, key: server.key },
    registeredCas: [rsa.ca.certificatePem, ec.ca.certificatePem],
    things: [
      { name: THING, certificates: [rsa.thing.certificatePem, ec.thing.certificatePem] },
      { name: "chained-thing", certificates: [chained.certificatePem] },
    ],
    roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN, credentialDurationSeconds: 3600 }],
    issued,
  });
  sts = await startStsEmulator({ issued });
});

after(async () => {
  await Promise.all([iot?.close(), sts?.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** GetCallerIdentity through a real SDK v3 client with the given provider. */
async function callerArn(credentials: AwsCredentialIdentityProvider): Promise<string | undefined> {
  const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    client.destroy();
  }
}

async function inputs(pki: DevicePki, form: "files" | "pem" | "bytes"): Promise<{ certificate: MaterialInput; privateKey: MaterialInput; ca: MaterialInput }> {
  if (form === "pem") return { certificate: pki.thing.certificatePem, privateKey: pki.thing.privateKeyPem, ca: server.ca.certificatePem };
  if (form === "bytes") {
    // DER for the certificate and the CA, PEM bytes for the key: mixed freely.
    return { certificate: pki.thing.certificateDer, privateKey: Buffer.from(pki.thing.privateKeyPem), ca: server.ca.certificateDer };
  }
  const sub = await mkdtemp(join(dir, "files-"));
  const paths = { certificate: join(sub, "thing.cert.pem"), privateKey: join(sub, "thing.private.key"), ca: join(sub, "AmazonRootCA1.pem") };
  await writeFile(paths.certificate, pki.thing.certificatePem);
  await writeFile(paths.privateKey, pki.thing.privateKeyPem, { mode: 0o600 });
  await writeFile(paths.ca, server.ca.certificatePem);
  return paths;
}

describe("end to end over mutual TLS, then STS with a real SDK client", () => {
  for (const keyType of ["rsa", "ec"] as const) {
    for (const form of ["files", "pem", "bytes"] as const) {
      test(`${keyType.toUpperCase()} thing certificate, certificate/key/ca as ${form}`, async () => {
        const pki = keyType === "rsa" ? rsa : ec;
        const before = iot.requests.length;
        const credentials = fromIotCredentialProvider({
          endpoint: iot.url,
          roleAlias: ROLE_ALIAS,
          thingName: THING,
          ...(await inputs(pki, form)),
        });
        const identity = await credentials();
        assert.match(identity.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
        assert.ok(identity.expiration && identity.expiration.getTime() > Date.now() + 50 * 60_000, "an hour-long lifetime");
        assert.equal(issued.get(identity.accessKeyId)?.secretAccessKey, identity.secretAccessKey);

        const request = iot.requests[before];
        assert.ok(request);
        assert.equal(iot.requests.length, before + 1);
        assert.equal(request.method, "GET");
        assert.equal(request.path, `/role-aliases/${ROLE_ALIAS}/credentials`);
        assert.equal(request.headers["x-amzn-iot-thingname"], THING);
        assert.equal(request.clientCertificateId, sha256(pki.thing.certificateDer), "the thing's certificate authenticated the TLS connection");
        assert.equal(request.status, 200);

        const arn = await callerArn(credentials);
        assert.equal(arn, `arn:aws:sts::123456789012:assumed-role/iot-device-role/${sha256(pki.thing.certificateDer)}`);
      });
    }
  }

  test("a certificate issued by an intermediate, sent with its chain, links to the registered root", async () => {
    const session = new IotCredentialSession({
      endpoint: iot.url,
      roleAlias: ROLE_ALIAS,
      thingName: "chained-thing",
      certificate: chained.certificatePem,
      certificateChain: issuing.certificatePem,
      privateKey: chained.privateKeyPem,
      ca: server.ca.certificatePem,
    });
    try {
      const credentials = await session.getCredentials();
      assert.equal(iot.requests.at(-1)?.clientCertificateId, sha256(chained.certificateDer));
      assert.equal(issued.get(credentials.accessKeyId)?.roleArn, ROLE_ARN);
    } finally {
      await session.close();
    }
  });

  test("SNI carries the endpoint's host name; the endpoint may be host:port", async () => {
    const session = new IotCredentialSession({ ...initFor(iot, server, ec), endpoint: `localhost:${iot.port}` });
    try {
      await session.getCredentials();
      assert.equal(iot.requests.at(-1)?.servername, "localhost");
      assert.equal(iot.requests.at(-1)?.headers.host, `localhost:${iot.port}`);
    } finally {
      await session.close();
    }
  });
});

describe("the session", () => {
  test("fetches nothing before first use, then serves every client from one cache", async () => {
    const before = iot.requests.length;
    const session = new IotCredentialSession({ ...initFor(iot, server, rsa), region: "eu-central-1" });
    try {
      assert.equal(iot.requests.length, before, "constructing fetches nothing (as Boto3SessionProvider defers)");
      const config = session.clientConfig();
      assert.equal(config.region, "eu-central-1");
      assert.equal(iot.requests.length, before, "clientConfig fetches nothing either");
      const first = await session.getCredentials();
      const viaSdk = await callerArn(session.provider);
      const again = await callerArn(session.clientConfig({ region: "us-east-1" }).credentials);
      assert.equal(viaSdk, again);
      assert.equal(iot.requests.length, before + 1, "one fetch for the session and both SDK clients");
      assert.equal(session.accessKeyId, first.accessKeyId);
      assert.equal(session.fetchCount, 1);
    } finally {
      await session.close();
    }
  });

  test("clientConfig needs a region when the endpoint names none (an emulator), and still fetches", async () => {
    const session = new IotCredentialSession(initFor(iot, server, ec));
    try {
      assert.equal(session.region, undefined);
      assert.throws(() => session.clientConfig(), (error: unknown) => error instanceof ConfigurationError && error.option === "region");
      assert.ok((await session.getCredentials()).accessKeyId);
      assert.equal(session.clientConfig({ region: "ap-south-1" }).region, "ap-south-1");
    } finally {
      await session.close();
    }
  });
});

describe("one interface for both mechanisms", () => {
  let ra: RolesAnywhereEmulator;
  const RA_ROLE = "arn:aws:iam::123456789012:role/roles-anywhere-device";
  before(async () => {
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [ec.ca.certificatePem] }], profiles: [{ roleArns: [RA_ROLE] }], issued });
  });
  after(() => ra?.close());

  /** The code around the session: the same for either init. */
  async function whoAmI(init: CertificateSessionInit): Promise<{ arn: string | undefined; kind: string }> {
    const session = createCredentialSession(init);
    try {
      const client = new STSClient({ ...session.clientConfig({ region: "us-east-1" }), endpoint: sts.url });
      const caller = await client.send(new GetCallerIdentityCommand({}));
      client.destroy();
      return { arn: caller.Arn, kind: session.constructor.name };
    } finally {
      await session.close();
    }
  }

  test("switching from Roles Anywhere to IoT changes the init object only", async () => {
    const identity = { certificate: ec.thing.certificatePem, privateKey: ec.thing.privateKeyPem };
    const viaRolesAnywhere = await whoAmI({ ...identity, trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: RA_ROLE, endpoint: ra.url });
    const viaIot = await whoAmI({ ...identity, endpoint: iot.url, roleAlias: ROLE_ALIAS, thingName: THING, ca: server.ca.certificatePem });
    assert.equal(viaRolesAnywhere.kind, RolesAnywhereSession.name);
    assert.match(viaRolesAnywhere.arn ?? "", /^arn:aws:sts::123456789012:assumed-role\/roles-anywhere-device\//);
    assert.equal(viaIot.kind, IotCredentialSession.name);
    assert.equal(viaIot.arn, `arn:aws:sts::123456789012:assumed-role/iot-device-role/${sha256(ec.thing.certificateDer)}`);
  });

  test("fromCertificate returns the provider of either mechanism", async () => {
    const provider = fromCertificate({ ...initFor(iot, server, rsa) });
    const before = iot.credentialsIssued;
    assert.match(await callerArn(provider) ?? "", /assumed-role\/iot-device-role\//);
    assert.equal(iot.credentialsIssued, before + 1);
  });

  test("an init with both mechanisms, or neither, is refused with the fix", () => {
    const identity = { certificate: ec.thing.certificatePem, privateKey: ec.thing.privateKeyPem };
    assert.throws(
      () => createCredentialSession({ ...identity, trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: RA_ROLE, roleAlias: ROLE_ALIAS, thingName: THING, endpoint: iot.url } as CertificateSessionInit),
      (error: unknown) => error instanceof ConfigurationError && /both trustAnchorArn .* and roleAlias .*pass the options of one mechanism/.test(error.message),
    );
    assert.throws(
      () => createCredentialSession(identity as unknown as CertificateSessionInit),
      (error: unknown) => error instanceof ConfigurationError && /trustAnchorArn, profileArn and roleArn .* endpoint, roleAlias and thingName/.test(error.message),
    );
  });
});
