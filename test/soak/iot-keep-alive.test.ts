/**
 * Hundreds of IoT refreshes on one kept-alive connection leave nothing
 * behind (each request used to add a `secureConnect` listener that never
 * fired: 39 after 40 refreshes, then a MaxListenersExceededWarning on the
 * application's stderr); a device whose clock is 60 days behind refreshes
 * on time instead of in a loop (929 fetches in 5 s).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { IotCredentialSession } from "../../src/index.js";
import type { ConnectionPool } from "../../src/transport/http1/connection-pool.js";
import type { IotCredentialEmulator } from "../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, type ServerPki, startEmulatorFor } from "../helpers/iot-fixture.js";
import { CapturingLogger } from "../helpers/log-capture.js";

let server: ServerPki;
let device: DevicePki;
let iot: IotCredentialEmulator;

before(async () => {
  server = await createServerPki();
  device = await createDevicePki();
  iot = await startEmulatorFor(server, device, { keepAliveTimeoutMs: 60_000 });
});
after(async () => {
  await iot.close();
});

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** The idle connections of the session's pool (internal: reached for this check only). */
function pooledSockets(session: IotCredentialSession): import("node:net").Socket[] {
  const pool = (session as unknown as { source: { loaded: { tls: { pool?: ConnectionPool } } } }).source.loaded.tls.pool;
  return pool?.idleSockets() ?? [];
}

test("250 refreshes on one kept-alive connection: secureConnect listeners, warnings and heap stay flat", { timeout: 120_000 }, async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  const session = new IotCredentialSession(initFor(iot, server, device));
  try {
    await session.getCredentials();
    for (let i = 0; i < 50; i++) await session.getCredentials({ forceRefresh: true });
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) await session.getCredentials({ forceRefresh: true });
    collectGarbage();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const sockets = pooledSockets(session);
    assert.ok(sockets.length >= 1, "the connection is kept alive");
    for (const socket of sockets) {
      for (const event of ["secureConnect", "data", "end", "error", "close"]) {
        assert.ok(socket.listenerCount(event) <= 3, `${socket.listenerCount(event)} ${event} listeners`);
      }
    }
    assert.equal(session.tlsHandshakes.total, 1, "one connection for every refresh");
    assert.deepEqual(warnings, []);
    console.log(`iot-keep-alive: 250 refreshes, ${session.tlsHandshakes.total} handshake, heap +${Math.round(heapGrowth / 1024)} KiB over the last 200`);
    assert.ok(heapGrowth < 8 * 1024 * 1024, `heap grew ${heapGrowth} bytes`);
  } finally {
    process.off("warning", onWarning);
    await session.close();
  }
});

test("a device clock 60 days behind: credentials by the service's clock, one fetch, one warning (was 929 fetches in 5 s)", { timeout: 30_000 }, async () => {
  const ahead = await startEmulatorFor(server, device, { now: () => Date.now() + 60 * 86_400_000 });
  const logger = new CapturingLogger();
  const session = new IotCredentialSession({ ...initFor(ahead, server, device), logger, logLevel: "warn", refresh: { autoRefresh: true } });
  try {
    const credentials = await session.getCredentials();
    const left = credentials.expiration.getTime() - Date.now();
    assert.ok(Math.abs(left - 3600_000) < 2_000, `an hour left by this machine's clock (${left} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(ahead.requests.length, 1, "no refresh loop");
    assert.equal(logger.lines.filter((line) => /this machine's clock is \d+ s behind/.test(line)).length, 1);
  } finally {
    await session.close();
    await ahead.close();
  }
});
