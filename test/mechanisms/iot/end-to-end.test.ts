import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { fromIotCredentialProvider, IotCredentialSession, type MaterialInput } from "../../../src/index.js";
import {
  type IotCredentialEmulator,
  IssuedCredentialStore,
  type StsEmulator,
  startIotCredentialEmulator,
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
