/**
 * Both mechanisms with the identity in a PKCS#12 file, end to end against
 * the emulators: IAM Roles Anywhere signs with the file's key and sends its
 * intermediates; the AWS IoT credential provider gets the file's key and
 * chain over mutual TLS. Files from `openssl pkcs12 -export`, with and without -legacy.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession, RolesAnywhereSession } from "../../../../src/index.js";
import {
  createTestCertificateAuthority,
  type IotCredentialEmulator,
  type RolesAnywhereEmulator,
  startIotCredentialEmulator,
  startRolesAnywhereEmulator,
  type TestCertificate,
  type TestCertificateAuthority,
} from "../../../../testing/index.js";
import { createServerPki, ROLE_ALIAS, ROLE_ARN, type ServerPki, THING } from "../../../helpers/iot-fixture.js";
import { assertNoSecrets, CapturingLogger } from "../../../helpers/log-capture.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable } from "../../../helpers/pkcs12.js";

type Issued = TestCertificate & { privateKeyPem: string };
const PASSWORD = "mechanisms-p12-password";
const ROLE = "arn:aws:iam::123456789012:role/p12-role";

describe("both mechanisms with a PKCS#12 identity", { skip: opensslUnavailable() }, () => {
  let dir: string;
  let root: TestCertificateAuthority;
  let issuing: TestCertificateAuthority;
  let ra: RolesAnywhereEmulator;
  let server: ServerPki;
  let iot: IotCredentialEmulator;
  const device: Record<"ec" | "rsa", Issued> = {} as never;
  const thing: Record<"ec" | "rsa", Issued> = {} as never;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certcreds-p12-mech-"));
    root = await createTestCertificateAuthority({ commonName: "p12 RA root" });
    issuing = await root.createIntermediate({ commonName: "p12 RA issuing CA" });
    for (const keyType of ["ec", "rsa"] as const) {
      device[keyType] = (await issuing.issue({ commonName: `p12-device-${keyType}`, keyType: keyType === "ec" ? "ec-p384" : "rsa-2048" })) as Issued;
      // The thing's certificate comes from an intermediate under the registered CA: the chain must go along in the handshake.
      thing[keyType] = (await issuing.issue({
        commonName: THING,
        keyType: keyType === "ec" ? "ec-p256" : "rsa-2048",
        extendedKeyUsage: ["clientAuth"],
      })) as Issued;
    }
    ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [root.certificatePem] }], profiles: [{ roleArns: [ROLE] }] });
    server = await createServerPki();
    iot = await startIotCredentialEmulator({
      serverCertificate: { cert: server.cert, key: server.key },
      registeredCas: [root.certificatePem],
      things: [{ name: THING, certificates: [thing.ec.certificatePem, thing.rsa.certificatePem] }],
      roleAliases: [{ alias: ROLE_ALIAS, roleArn: ROLE_ARN }],
    });
  });
  after(async () => {
    await Promise.all([ra?.close(), iot?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  for (const legacy of [false, true]) {
    for (const keyType of ["ec", "rsa"] as const) {
      const encoding = legacy ? "-legacy" : "default encoding";
      test(`IAM Roles Anywhere, ${keyType}, ${encoding}: signed with the file's key, its intermediate sent`, {
        skip: legacy ? opensslLegacyUnavailable() : undefined,
      }, async () => {
        const leaf = device[keyType];
        const file = await exportPkcs12(dir, `ra-${keyType}-${legacy}.p12`, {
          certificatePem: leaf.certificatePem,
          keyPem: leaf.privateKeyPem,
          chainPem: issuing.certificatePem,
          password: PASSWORD,
          legacy,
        });
        const logger = new CapturingLogger();
        for (const certificate of [file, await readFile(file)]) {
          const session = new RolesAnywhereSession({
            certificate,
            passphrase: PASSWORD,
            trustAnchorArn: ra.trustAnchorArn,
            profileArn: ra.profileArn,
            roleArn: ROLE,
            endpoint: ra.url,
            logger,
          });
          try {
            const first = await session.getCredentials();
            const second = await session.getCredentials({ forceRefresh: true });
            for (const credentials of [first, second]) assert.ok(ra.issued.has(credentials.accessKeyId), "the emulator verified the signature");
            const headers = ra.requests.at(-1)!.headers;
            assert.match(String(headers.authorization), new RegExp(`^AWS4-X509-${keyType === "ec" ? "ECDSA" : "RSA"}-SHA256 Credential=${leaf.serialNumber}/`));
            assert.equal(headers["x-amz-x509-chain"], issuing.certificateDer.toString("base64"));
          } finally {
            await session.close();
          }
        }
        assertNoSecrets(logger.lines, [PASSWORD, leaf.privateKeyPem]);
      });

      test(`AWS IoT over mutual TLS, ${keyType}, ${encoding}: the file's key and chain in the handshake`, {
        skip: legacy ? opensslLegacyUnavailable() : undefined,
      }, async () => {
        const leaf = thing[keyType];
        const file = await exportPkcs12(dir, `iot-${keyType}-${legacy}.p12`, {
          certificatePem: leaf.certificatePem,
          keyPem: leaf.privateKeyPem,
          chainPem: issuing.certificatePem + root.certificatePem,
          ...(keyType === "ec" ? {} : { password: PASSWORD }),
          legacy,
        });
        const session = new IotCredentialSession({
          endpoint: iot.url,
          roleAlias: ROLE_ALIAS,
          thingName: THING,
          certificate: file,
          ...(keyType === "ec" ? {} : { passphrase: PASSWORD }),
          ca: server.ca.certificatePem,
        });
        try {
          const first = await session.getCredentials();
          const second = await session.getCredentials({ forceRefresh: true });
          assert.notEqual(first.accessKeyId, second.accessKeyId);
          for (const credentials of [first, second]) assert.ok(iot.issued.has(credentials.accessKeyId));
          assert.equal(iot.requests.at(-1)!.clientCertificateId, leaf.certificate.fingerprint256.replace(/:/g, "").toLowerCase());
        } finally {
          await session.close();
        }
      });
    }
  }

  test("AWS IoT: the same thing in a file without its intermediate is refused by the endpoint (the chain above is what lets it in)", async () => {
    const leaf = thing.ec;
    const file = await exportPkcs12(dir, "iot-no-chain.p12", { certificatePem: leaf.certificatePem, keyPem: leaf.privateKeyPem });
    const session = new IotCredentialSession({
      endpoint: iot.url,
      roleAlias: ROLE_ALIAS,
      thingName: THING,
      certificate: file,
      ca: server.ca.certificatePem,
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(session.getCredentials(), (error: unknown) => (error as { code?: string }).code?.startsWith("ERR_CERTCREDS") === true);
    } finally {
      await session.close();
    }
  });
});
