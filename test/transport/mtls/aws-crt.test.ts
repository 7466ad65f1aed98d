import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { after, before, describe, test } from "node:test";
import { type IdentityInit, loadIdentity, releaseIdentity } from "../../../src/identity/load-identity.js";
import { TokenTlsTransport } from "../../../src/transport/mtls/aws-crt/token-tls-transport.js";
import { createTestCertificateAuthority, type IotCredentialEmulator, type TestCertificate } from "../../../testing/index.js";
import { ROOT } from "../../helpers/cli.js";
import { ROLE_ALIAS, type ServerPki, THING } from "../../helpers/iot-fixture.js";
import { type SoftHsm, softHsmUnavailable } from "../../helpers/softhsm.js";
import { createTokenIotWorld, type TokenIotWorld } from "../../helpers/token-iot-world.js";

const unavailable = softHsmUnavailable();
const TOKEN = "iot-token";
const PIN = "iot-pin-5521";

describe("TokenTlsTransport (aws-crt): mutual TLS with the thing's key on a SoftHSM2 token", { skip: unavailable }, () => {
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

  const request = (identity: Awaited<ReturnType<typeof loadIdentity>>, extra: Partial<Parameters<TokenTlsTransport["send"]>[0]> = {}) => ({
    url: new URL(`/role-aliases/${ROLE_ALIAS}/credentials`, emulator.url),
    headers: { "x-amzn-iot-thingname": THING },
    timeoutMs: 10_000,
    identity,
    ca: Buffer.from(server.ca.certificatePem),
    servername: "localhost",
    ...extra,
  });

  for (const keyType of ["ec", "rsa"] as const) {
    test(`${keyType === "ec" ? "EC P-256" : "RSA-2048"} key on the token: the emulator sees the thing's certificate and issues credentials`, async () => {
      const init: IdentityInit = {
        certificate: things[keyType].certificatePem,
        pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: `thing-${keyType}` },
      };
      const transport = new TokenTlsTransport();
      try {
        for (let i = 0; i < 2; i++) {
          const identity = await loadIdentity(init, new Date());
          const response = await transport.send(request(identity));
          assert.equal(response.status, 200, response.body.toString());
          const credentials = JSON.parse(response.body.toString()).credentials;
          assert.ok(emulator.issued.has(credentials.accessKeyId), "credentials issued by the emulator");
          const seen = emulator.requests.at(-1)!;
          assert.equal(seen.headers["x-amzn-iot-thingname"], THING);
          assert.equal(seen.servername, "localhost", "SNI carries the endpoint name");
          assert.equal(seen.clientCertificateId, things[keyType].certificate.fingerprint256.replace(/:/g, "").toLowerCase());
        }
        assert.equal(transport.contextsCreated, 1, "one TLS context (one token login) serves both refreshes");
      } finally {
        transport.close();
        await releaseIdentity(init);
      }
    });
  }

  test("certificate read from the token; an untrusted server is a typed TLS error", async () => {
    const init: IdentityInit = { pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "thing-ec" } };
    const transport = new TokenTlsTransport();
    try {
      const ok = await transport.send(request(await loadIdentity(init, new Date())));
      assert.equal(ok.status, 200);
    } finally {
      transport.close();
      await releaseIdentity(init);
    }
    // aws-crt delays the report of a failed handshake by 10–30 s ("blinding") and keeps the process alive
    // meanwhile; a child process that exits once it has the error keeps this file fast.
    const otherCa = await createTestCertificateAuthority({ commonName: "not the endpoint's CA" });
    const modules = ["src/identity/load-identity.ts", "src/transport/mtls/aws-crt/token-tls-transport.ts"].map((path) =>
      JSON.stringify(pathToFileURL(join(ROOT, path)).href),
    );
    const script = `
      import { loadIdentity } from ${modules[0]};
      import { TokenTlsTransport } from ${modules[1]};
      const input = JSON.parse(process.env.TEST_INPUT);
      const identity = await loadIdentity({ pkcs11: input.pkcs11 }, new Date());
      const error = await new TokenTlsTransport()
        .send({ url: new URL(input.url), headers: {}, timeoutMs: 1500, identity, ca: input.ca, servername: "localhost" })
        .then(() => undefined, (e) => ({ name: e.constructor.name, kind: e.kind, message: e.message }));
      console.log(JSON.stringify(error));
      process.exit(0);
    `;
    const input = {
      pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "thing-ec" },
      url: `${emulator.url}/role-aliases/${ROLE_ALIAS}/credentials`,
      ca: otherCa.certificatePem,
    };
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, TEST_INPUT: JSON.stringify(input) },
      timeout: 30_000,
    });
    const error = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(error.name, "NetworkError");
    assert.equal(error.kind, "tls-server-untrusted");
    assert.match(error.message, /The server certificate of 127\.0\.0\.1:\d+ is not trusted .*Pass the CA that issued it/);
  });

  test("TLS 1.2 is what a token key negotiates, even with a server that offers TLS 1.3", async () => {
    const protocols: string[] = [];
    const tlsServer = createServer(
      { cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2", maxVersion: "TLSv1.3" },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        protocols.push(`${socket.getProtocol()} ${socket.getPeerCertificate()?.subject?.CN ?? "no client certificate"}`);
        res.end("{}");
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const init: IdentityInit = {
      certificate: things.rsa.certificatePem,
      pkcs11: { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "thing-rsa" },
    };
    const transport = new TokenTlsTransport();
    try {
      const identity = await loadIdentity(init, new Date());
      const port = (tlsServer.address() as AddressInfo).port;
      const response = await transport.send(request(identity, { url: new URL(`https://127.0.0.1:${port}/`) }));
      assert.equal(response.status, 200);
      assert.deepEqual(protocols, [`TLSv1.2 ${THING}`]);
    } finally {
      transport.close();
      await releaseIdentity(init);
      tlsServer.close();
    }
  });
});
