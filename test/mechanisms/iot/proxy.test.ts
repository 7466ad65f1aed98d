import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, afterEach, before, test } from "node:test";
import { IotCredentialSession, type IotSessionInit, NetworkError } from "../../../src/index.js";
import { startTestConnectProxy, type TestConnectProxy } from "../../../testing/emulators/connect-proxy.js";
import type { IotCredentialEmulator } from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, type ServerPki, startEmulatorFor } from "../../helpers/iot-fixture.js";

let server: ServerPki;
let device: DevicePki;
let iot: IotCredentialEmulator;
let proxy: TestConnectProxy;
const savedEnv = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };

before(async () => {
  [server, device] = await Promise.all([createServerPki(), createDevicePki("rsa-2048")]);
  iot = await startEmulatorFor(server, device);
  proxy = await startTestConnectProxy();
});
afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  proxy.refuseWith = undefined;
});
after(() => Promise.all([iot?.close(), proxy?.close()]));

async function fetchOnce(extra: Partial<IotSessionInit>) {
  const session = new IotCredentialSession({ ...initFor(iot, server, device), ...extra });
  try {
    const credentials = await session.getCredentials();
    assert.deepEqual(session.tlsHandshakes, { total: 1, resumed: 0 }, "the handshake is seen, tunnelled or not");
    return credentials;
  } finally {
    await session.close();
  }
}

test("the proxy option: mutual TLS runs inside the CONNECT tunnel", async () => {
  const tunnels = proxy.tunnels.length;
  const credentials = await fetchOnce({ proxy: proxy.url, endpoint: `localhost:${iot.port}` });
  assert.deepEqual(proxy.tunnels.slice(tunnels), [`localhost:${iot.port}`], "one tunnel, to the endpoint's host and port");
  const request = iot.requests.at(-1);
  assert.equal(request?.status, 200);
  assert.equal(request?.servername, "localhost", "SNI is the endpoint's, not the proxy's");
  assert.equal(request?.clientCertificateId, createHash("sha256").update(device.thing.certificateDer).digest("hex"));
  assert.ok(iot.issued.has(credentials.accessKeyId));
});

test("HTTPS_PROXY is used, NO_PROXY bypasses it, proxy: false ignores it", async () => {
  process.env.HTTPS_PROXY = proxy.url;
  delete process.env.https_proxy;
  const start = proxy.tunnels.length;
  await fetchOnce({});
  assert.equal(proxy.tunnels.length, start + 1, "HTTPS_PROXY tunnelled the request");

  await fetchOnce({ proxy: false });
  assert.equal(proxy.tunnels.length, start + 1, "proxy: false went direct");

  process.env.NO_PROXY = "localhost,127.0.0.1";
  await fetchOnce({});
  assert.equal(proxy.tunnels.length, start + 1, "NO_PROXY went direct");
});

test("a proxy that refuses the tunnel: NetworkError proxy", async () => {
  proxy.refuseWith = 403;
  const before = iot.requests.length;
  await assert.rejects(
    fetchOnce({ proxy: proxy.url, retry: { maxAttempts: 1 } }),
    (error: unknown) => error instanceof NetworkError && error.kind === "proxy" && /refused to tunnel .*HTTP 403/.test(error.message),
  );
  assert.equal(iot.requests.length, before);
});
