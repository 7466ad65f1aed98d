import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IotCredentialSession, type IotSessionInit } from "../../../src/index.js";
import { type IotCredentialEmulator, type StsEmulator, startStsEmulator } from "../../../testing/index.js";
import { createDevicePki, createServerPki, type DevicePki, initFor, ROLE_ARN, type ServerPki, startEmulatorFor } from "../../helpers/iot-fixture.js";
import { CapturingLogger, pemBodyLines } from "../../helpers/log-capture.js";

const PASSPHRASE = "correct horse battery staple 7f3a";
let dir: string;
let server: ServerPki;
let device: DevicePki;
let iot: IotCredentialEmulator;
let sts: StsEmulator;
let keyFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-iot-log-"));
  [server, device] = await Promise.all([createServerPki(), createDevicePki("rsa-2048")]);
  iot = await startEmulatorFor(server, device, {
    roleAliases: [
      { alias: "device-role-alias", roleArn: ROLE_ARN },
      { alias: "denied-alias", roleArn: ROLE_ARN, policyAllows: false },
    ],
  });
  sts = await startStsEmulator({ issued: iot.issued });
  keyFile = join(dir, "thing.key");
  const encrypted = device.thing.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE });
  await writeFile(keyFile, encrypted, { mode: 0o600 });
});
after(async () => {
  await Promise.all([iot?.close(), sts?.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** Every value that must never be logged: issued secrets, the key (plain and encrypted PEM lines), the passphrase. */
async function secrets(): Promise<string[]> {
  const { readFile } = await import("node:fs/promises");
  const values: string[] = [PASSPHRASE, ...pemBodyLines(device.thing.privateKeyPem), ...pemBodyLines(await readFile(keyFile, "utf8"))];
  for (const credentials of iot.issued.values()) values.push(credentials.secretAccessKey, credentials.sessionToken);
  return values;
}

function assertNothingSecret(texts: string[], values: string[]): void {
  for (const secret of values) {
    // The whole value and every 16-character window of it, so a truncated or wrapped copy is caught too.
    const probes = [secret, ...Array.from({ length: Math.floor(secret.length / 16) }, (_, i) => secret.slice(i * 16, i * 16 + 16))];
    for (const text of texts) {
      for (const probe of probes) assert.ok(!text.includes(probe), `a secret value appears in a log line: ${text.slice(0, 60)}…`);
    }
  }
}

async function run(session: IotCredentialSession, fn: (session: IotCredentialSession) => Promise<unknown>): Promise<unknown> {
  try {
    return await fn(session);
  } catch (error) {
    return error;
  } finally {
    await session.close();
  }
}

describe("no secret in any log line", () => {
  test("at logLevel trace: success, refresh, resumption, retries, service errors, bad bodies, verifyPeer off, an SDK client", async () => {
    const logger = new CapturingLogger();
    const base: IotSessionInit = { ...initFor(iot, server, device), privateKey: keyFile, passphrase: PASSPHRASE, logger, logLevel: "trace" };
    const thrown: unknown[] = [];

    thrown.push(
      await run(new IotCredentialSession({ ...base, endpoint: `localhost:${iot.port}` }), async (session) => {
        await session.getCredentials();
        await session.getCredentials({ forceRefresh: true });
        iot.dropConnections();
        await new Promise((resolve) => setTimeout(resolve, 10));
        iot.inject({ status: 500, message: "Internal Server Error" });
        await session.getCredentials({ forceRefresh: true });
        const client = new STSClient({ ...session.clientConfig({ region: "us-east-1" }), endpoint: sts.url, logger });
        await client.send(new GetCallerIdentityCommand({}));
        client.destroy();
      }),
    );
    thrown.push(await run(new IotCredentialSession({ ...base, roleAlias: "denied-alias" }), (session) => session.getCredentials()));
    iot.inject({ malformedBody: true, times: 3 });
    thrown.push(await run(new IotCredentialSession(base), (session) => session.getCredentials()));
    thrown.push(await run(new IotCredentialSession({ ...base, verifyPeer: false }), (session) => session.getCredentials()));
    thrown.push(await run(new IotCredentialSession({ ...base, passphrase: "wrong passphrase" }), (session) => session.getCredentials()));

    const levels = new Set(logger.lines.map((line) => line.split(" ")[0]));
    for (const level of ["trace", "debug", "info", "warn", "error"]) assert.ok(levels.has(level), `some ${level} lines were written`);
    assert.ok(logger.lines.some((line) => /^trace certcreds: TLS TLSv1\.[23] to localhost .*full handshake/.test(line)));
    assert.ok(logger.lines.some((line) => /^trace certcreds: TLS .*resumed session/.test(line)));
    assert.ok(logger.lines.some((line) => /^warn certcreds: WARNING verifyPeer is false/.test(line)));
    assert.ok(logger.lines.some((line) => /^error .*Access Denied/.test(line)));
    assert.ok(iot.issued.size >= 4, "credentials were issued, so there were secrets to leak");

    const messages = thrown.filter((error): error is Error => error instanceof Error).map((error) => `${error.message} ${error.stack}`);
    assert.equal(messages.length, 3, "the denied alias, the malformed body and the wrong passphrase failed");
    assertNothingSecret([...logger.lines, ...messages], await secrets());
  });
});

describe("logLevel filters what reaches the logger", () => {
  test("warn: only warnings and errors", async () => {
    const logger = new CapturingLogger();
    await run(new IotCredentialSession({ ...initFor(iot, server, device), verifyPeer: false, logger, logLevel: "warn" }), (session) =>
      session.getCredentials(),
    );
    await run(new IotCredentialSession({ ...initFor(iot, server, device), roleAlias: "denied-alias", logger, logLevel: "warn" }), (session) =>
      session.getCredentials(),
    );
    assert.ok(logger.lines.length >= 2);
    assert.ok(
      logger.lines.every((line) => line.startsWith("warn ") || line.startsWith("error ")),
      logger.lines.join("\n"),
    );
  });

  test("none: nothing, not even the verifyPeer warning", async () => {
    const logger = new CapturingLogger();
    await run(new IotCredentialSession({ ...initFor(iot, server, device), verifyPeer: false, logger, logLevel: "none" }), (session) =>
      session.getCredentials(),
    );
    assert.deepEqual(logger.lines, []);
  });

  test("a logger without logLevel gets everything but trace", async () => {
    const logger = new CapturingLogger();
    await run(new IotCredentialSession({ ...initFor(iot, server, device), logger }), (session) => session.getCredentials());
    assert.ok(logger.lines.some((line) => line.startsWith("debug certcreds: GET https://127.0.0.1")));
    assert.ok(logger.lines.some((line) => line.startsWith("info certcreds: IoT credentials for role alias")));
    assert.ok(!logger.lines.some((line) => line.startsWith("trace ")));
  });

  test("verifyPeer: false with no log configured at all raises a process warning", async () => {
    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    const session = new IotCredentialSession({ ...initFor(iot, server, device), verifyPeer: false });
    const warning = (await warned) as Error & { code?: string };
    await session.close();
    assert.equal(warning.code, "CERTCREDS_VERIFY_PEER_DISABLED");
    assert.match(warning.message, /verifyPeer is false for 127\.0\.0\.1:\d+: the credential provider's certificate is NOT verified/);
  });

  test("logLevel without a logger writes to standard error (console.error)", async () => {
    const written: string[] = [];
    const original = console.error;
    console.error = (...content: unknown[]) => written.push(content.map(String).join(" "));
    try {
      await run(new IotCredentialSession({ ...initFor(iot, server, device), logLevel: "info" }), (session) => session.getCredentials());
    } finally {
      console.error = original;
    }
    assert.ok(written.some((line) => line.startsWith("certcreds: IoT credentials for role alias device-role-alias obtained")));
    assert.ok(!written.some((line) => line.startsWith("certcreds: GET")), "debug lines are below info");
  });

  test("without a logger of its own, the session logs to the calling SDK client's logger", async () => {
    const logger = new CapturingLogger();
    const session = new IotCredentialSession(initFor(iot, server, device));
    try {
      const client = new STSClient({ region: "us-east-1", endpoint: sts.url, credentials: session.provider, logger });
      await client.send(new GetCallerIdentityCommand({}));
      client.destroy();
      assert.ok(logger.lines.some((line) => line.startsWith("info certcreds: IoT credentials for role alias")));
    } finally {
      await session.close();
    }
  });
});
