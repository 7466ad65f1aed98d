/**
 * Secret hygiene of the library: fromRolesAnywhere, fromIotCredentialProvider,
 * the session classes and createCredentialSession, with a logger at the most
 * verbose level, on success and on every error path — log records, errors
 * with their causes, JSON and util.inspect of sessions and providers
 * searched for every secret (test/helpers/secret-scan.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";
import {
  createCredentialSession,
  type CredentialSession,
  fromIotCredentialProvider,
  fromRolesAnywhere,
  IotCredentialSession,
  type IotSessionInit,
  RolesAnywhereSession,
  type RolesAnywhereSessionInit,
} from "../../src/index.js";
import { HygieneWorld, PASSPHRASE, WORLD_KEYS, WRONG_PASSPHRASE } from "../helpers/hygiene-world.js";
import { CapturingLogger } from "../helpers/log-capture.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

describe("secret hygiene: no key, PIN, passphrase, secret key or token in anything shown", () => {
  describe("library, with a logger at the most verbose level", () => {
    test("Roles Anywhere: fromRolesAnywhere, RolesAnywhereSession, createCredentialSession (file, PEM text with passphrase, DER bytes)", async () => {
      await w.librarySession(
        "RolesAnywhereSession (key file), through its clientConfig provider",
        (logger) => new RolesAnywhereSession(w.raInit(logger)),
        async (session) => {
          await w.fetchTwice(session);
          const identity = await session.clientConfig().credentials();
          assert.equal(identity.secretAccessKey, w.issued.get(identity.accessKeyId)?.secretAccessKey);
        },
        "success",
      );
      const logger = new CapturingLogger();
      const provider = fromRolesAnywhere(w.raInit(logger));
      const identity = await provider({ forceRefresh: true });
      assert.equal(identity.sessionToken, w.issued.get(identity.accessKeyId)?.sessionToken);
      w.scan.corpus.add("fromRolesAnywhere — inspect(provider)", inspect(provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
      w.scan.corpus.add("fromRolesAnywhere — JSON.stringify(provider)", String(JSON.stringify(provider)));
      w.scan.logger("fromRolesAnywhere (key file)", logger);
      await w.librarySession(
        "RolesAnywhereSession (encrypted PEM text, passphrase)",
        (logger) =>
          new RolesAnywhereSession(
            w.raInit(logger, {
              certificate: w.raDevice.certificatePem,
              certificateChain: w.raIssuing.certificatePem,
              privateKey: w.raEncryptedPem,
              passphrase: PASSPHRASE,
            }),
          ),
        w.fetchTwice,
        "success",
      );
      await w.librarySession(
        "createCredentialSession (Roles Anywhere, DER bytes)",
        (logger) =>
          createCredentialSession(
            w.raInit(logger, {
              certificate: new Uint8Array(w.raDevice.certificateDer),
              privateKey: new Uint8Array(w.raDevice.privateKey.export({ type: "pkcs8", format: "der" })),
            }),
          ),
        w.fetchTwice,
        "success",
      );
      w.scan.assertClean();
    });

    test("IoT at logLevel trace: IotCredentialSession, fromIotCredentialProvider, createCredentialSession (PKCS#1 file, encrypted PEM, DER bytes)", async () => {
      await w.librarySession("IotCredentialSession (PKCS#1 key file)", (logger) => new IotCredentialSession(w.iotInit(logger)), w.fetchTwice, "success");
      const logger = new CapturingLogger();
      const provider = fromIotCredentialProvider(w.iotInit(logger, { privateKey: w.thingEncryptedPem, passphrase: PASSPHRASE }));
      const identity = await provider();
      assert.ok(w.issued.has(identity.accessKeyId));
      w.scan.corpus.add("fromIotCredentialProvider — inspect(provider)", inspect(provider, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
      w.scan.corpus.add("fromIotCredentialProvider — JSON.stringify(provider)", String(JSON.stringify(provider)));
      w.scan.logger("fromIotCredentialProvider (encrypted PEM, passphrase)", logger);
      await w.librarySession(
        "createCredentialSession (IoT, DER bytes)",
        (logger) =>
          createCredentialSession(
            w.iotInit(logger, {
              certificate: new Uint8Array(w.thing.certificateDer),
              privateKey: new Uint8Array(w.thing.privateKey.export({ type: "pkcs8", format: "der" })),
            }),
          ),
        w.fetchTwice,
        "success",
      );
      w.scan.assertClean();
    });

    for (const name of ["Roles Anywhere", "IoT"] as const) {
      test(`${name} error paths: wrong key, expired certificate, wrong and missing passphrase, service errors, network errors, a failed refresh`, async () => {
        const isIot = name === "IoT";
        const create = (extra: Partial<RolesAnywhereSessionInit & IotSessionInit>) => (logger: CapturingLogger) =>
          isIot
            ? new IotCredentialSession(w.iotInit(logger, extra as Partial<IotSessionInit>))
            : new RolesAnywhereSession(w.raInit(logger, extra as Partial<RolesAnywhereSessionInit>));
        const get = (session: CredentialSession) => session.getCredentials();
        const expired = isIot
          ? { certificate: w.thingExpired.certificatePem, privateKey: w.thingExpired.privateKeyPem }
          : { certificate: w.raExpired.certificatePem, privateKey: w.raExpired.privateKeyPem };
        const encrypted = isIot ? w.thingEncryptedPem : w.raEncryptedPem;
        const cases: [string, Partial<RolesAnywhereSessionInit & IotSessionInit>, (() => void)?][] = [
          ["wrong key", { privateKey: w.stranger.export({ type: "pkcs8", format: "pem" }).toString() }],
          ["expired certificate", expired],
          ["wrong passphrase", { privateKey: encrypted, passphrase: WRONG_PASSPHRASE }],
          ["no passphrase", { privateKey: encrypted }],
          ["key given as certificate", { certificate: isIot ? w.thingPkcs1Pem : w.raDevice.privateKeyPem }],
          [
            "access denied",
            {},
            () =>
              isIot
                ? w.iot.inject({ status: 403, message: "Access Denied" })
                : w.ra.inject({ status: 403, errorType: "AccessDeniedException", message: "Untrusted signing certificate" }),
          ],
          [
            "500 until retries run out",
            {},
            () => (isIot ? w.iot.inject({ status: 500, times: 3 }) : w.ra.inject({ status: 500, errorType: "InternalServerException", times: 3 })),
          ],
          [
            "throttled until retries run out",
            {},
            () =>
              isIot
                ? w.iot.inject({ status: 429, retryAfterSeconds: 0, times: 3 })
                : w.ra.inject({ status: 429, errorType: "ThrottlingException", retryAfterSeconds: 0, times: 3 }),
          ],
          ["connection reset", {}, () => (isIot ? w.iot.inject({ resetConnection: true, times: 3 }) : w.ra.inject({ resetConnection: true, times: 3 }))],
          [
            "a success answer that is not JSON",
            {},
            () => (isIot ? w.iot.inject({ malformedBody: true, times: 3 }) : w.ra.inject({ malformedBody: true, times: 3 })),
          ],
          [
            "no answer within the deadline",
            { timeoutMs: 300, retry: { maxAttempts: 1 } },
            () => (isIot ? w.iot.inject({ hang: true }) : w.ra.inject({ hang: true })),
          ],
        ];
        if (isIot) {
          cases.push(["unknown thing", { thingName: "no-such-thing" }], ["server not trusted (no ca)", { ca: w.raRoot.certificatePem }]);
        } else {
          cases.push(["unreachable endpoint", { endpoint: "http://127.0.0.1:9", retry: { maxAttempts: 1 } }]);
        }
        for (const [what, extra, fault] of cases) {
          fault?.();
          try {
            await w.librarySession(`${name} library: ${what}`, create(extra), get, "error");
          } finally {
            (isIot ? w.iot : w.ra).clearFaults();
          }
        }
        // A refresh that fails while the session holds credentials.
        await w.librarySession(
          `${name} library: a forced refresh fails`,
          create({}),
          async (session) => {
            await session.getCredentials();
            if (isIot) w.iot.inject({ status: 500, times: 3 });
            else w.ra.inject({ status: 500, errorType: "InternalServerException", times: 3 });
            return session.getCredentials({ forceRefresh: true });
          },
          "error",
        );
        w.scan.assertClean();
      });
    }
  });
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 400, secrets: 50, keys: WORLD_KEYS },
);
