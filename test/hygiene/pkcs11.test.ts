/**
 * Secret hygiene with the key on a PKCS#11 token (SoftHSM2; skipped where it
 * is not installed): the CLI (credential-process cached without the PIN in
 * its cache key, wrong PINs, the PIN from the environment, doctor, serve; IoT
 * over aws-crt mutual TLS) and the library (wrong and right PINs, from the
 * config and from a URI), every output searched for every secret
 * (test/helpers/secret-scan.ts).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { createCredentialSession, RolesAnywhereSession } from "../../src/index.js";
import { http, parseProcessOutput, startServe } from "../helpers/cli.js";
import { HygieneWorld, PIN, pkcs11Unavailable, TOKEN, WORLD_KEYS, WRONG_PIN } from "../helpers/hygiene-world.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create({ pkcs11: true });
});
after(() => w?.close());

describe("secret hygiene: no key, PIN, passphrase, secret key or token in anything shown", () => {
  for (const format of ["text", "json"] as const) {
    describe(`CLI with the key on a PKCS#11 token (SoftHSM2), stderr as ${format}`, {
      skip: pkcs11Unavailable ? `skipped: ${pkcs11Unavailable}` : false,
    }, () => {
      before(() => {
        w.logFormat = format;
      });
      const uri = (pin: string | undefined, object = "ra-key") => `pkcs11:token=${TOKEN};object=${object};type=private${pin ? `?pin-value=${pin}` : ""}`;
      const tokenArgs = (pin: string | undefined) => [
        ...w.raArgs({ certificate: w.files["ra-token.pem"]!, privateKey: uri(pin) }),
        "--pkcs11-lib",
        w.hsm!.library,
      ];

      test("Roles Anywhere: credential-process (cached; the PIN is not part of the cache key), wrong PIN, PIN from the environment, doctor, serve", async () => {
        const where = "PKCS#11 credential-process";
        const cold = await w.cli(`${where}, PIN in the URI, cold`, ["credential-process", ...tokenArgs(PIN), "--debug"], { code: 0, processJson: true });
        // The cache key hashes the configuration without the PIN: another pin-value finds the same entry.
        const warm = await w.cli(`${where}, another pin-value, warm`, ["credential-process", ...tokenArgs(WRONG_PIN), "--debug"], {
          code: 0,
          processJson: true,
        });
        assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId);
        const wrong = await w.cli(`${where}, wrong PIN`, ["credential-process", ...tokenArgs(WRONG_PIN), "--no-cache", "--debug"], { code: 3 });
        assert.match(wrong.stderr, /CKR_PIN_INCORRECT/);
        await w.cli(`${where}, PIN from CERTCREDS_PKCS11_PIN`, ["credential-process", ...tokenArgs(undefined), "--no-cache", "--debug"], {
          code: 0,
          processJson: true,
          env: { CERTCREDS_PKCS11_PIN: PIN },
        });
        await w.cli("PKCS#11 doctor", ["doctor", ...tokenArgs(PIN), "--debug"], { code: 0 });
        await w.cli("PKCS#11 doctor, wrong PIN", ["doctor", ...tokenArgs(undefined), "--debug"], { code: 1, env: { CERTCREDS_PKCS11_PIN: WRONG_PIN } });
        const served = await startServe(w.withLogFormat([...tokenArgs(PIN), "--debug"]), { env: { HOME: w.home, SOFTHSM2_CONF: w.hsm!.conf } });
        try {
          const token = await readFile(served.tokenFile, "utf8");
          w.scan.vault.add("serve's container authorization token (PKCS#11)", token);
          const answer = await http(served.containerUri, { headers: { Authorization: token } });
          const json = JSON.parse(answer.body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
          assert.equal(json.Token, w.issued.get(json.AccessKeyId)?.sessionToken);
          w.scan.answer("PKCS#11 serve: container credentials (authorised)", answer, [json.SecretAccessKey, json.Token]);
        } finally {
          const stopped = await served.cli.stop();
          w.scan.counts.cliRuns++;
          w.scan.corpus.add("PKCS#11 serve — stdout", stopped.stdout);
          w.recordStderr("PKCS#11 serve", stopped.stderr);
        }
        w.scan.assertClean();
      });

      test("IoT: credential-process with the thing's key on the token (aws-crt mutual TLS)", async () => {
        const args = [
          ...w.iotArgs({ certificate: w.files["iot-token.pem"]!, privateKey: `pkcs11:token=${TOKEN};object=iot-key;type=private?pin-value=${PIN}` }),
          "--pkcs11-lib",
          w.hsm!.library,
        ];
        await w.cli("PKCS#11 IoT credential-process", ["credential-process", ...args, "--no-cache", "--debug"], { code: 0, processJson: true });
        w.scan.assertClean();
      });
    });
  }

  describe("library, with a logger at the most verbose level", () => {
    test("PKCS#11 token: wrong PIN, right PIN from the config and from a URI", {
      skip: pkcs11Unavailable ? `skipped: ${pkcs11Unavailable}` : false,
    }, async () => {
      const pkcs11 = (userPin: string) => ({ library: w.hsm!.library, userPin, tokenLabel: TOKEN, privateKeyLabel: "ra-key" });
      // The wrong PIN first: once logged in, a token accepts any later C_Login of the same process.
      const error = await w.librarySession(
        "RolesAnywhereSession, PKCS#11 wrong PIN",
        (logger) =>
          new RolesAnywhereSession(w.raInit(logger, { certificate: w.raTokenCert!.certificatePem, privateKey: undefined, pkcs11: pkcs11(WRONG_PIN) })),
        (session) => session.getCredentials(),
        "error",
      );
      assert.equal((error as { kind?: string }).kind, "pin-incorrect");
      await w.librarySession(
        "RolesAnywhereSession, PKCS#11 config",
        (logger) => new RolesAnywhereSession(w.raInit(logger, { certificate: w.raTokenCert!.certificatePem, privateKey: undefined, pkcs11: pkcs11(PIN) })),
        w.fetchTwice,
        "success",
      );
      await w.librarySession(
        "createCredentialSession, PKCS#11 URI with pin-value",
        (logger) =>
          createCredentialSession(
            w.raInit(logger, {
              certificate: w.raTokenCert!.certificatePem,
              privateKey: `pkcs11:token=${TOKEN};object=ra-key;type=private?pin-value=${PIN}&module-path=${w.hsm!.library}`,
            }),
          ),
        w.fetchTwice,
        "success",
      );
      await w.librarySession(
        "RolesAnywhereSession, PKCS#11 URI naming a missing key",
        (logger) =>
          new RolesAnywhereSession(
            w.raInit(logger, {
              certificate: w.raTokenCert!.certificatePem,
              privateKey: `pkcs11:token=${TOKEN};object=nope?pin-value=${PIN}&module-path=${w.hsm!.library}`,
            }),
          ),
        (session) => session.getCredentials(),
        "error",
      );
      w.scan.assertClean();
    });
  });
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 40, secrets: 50, keys: WORLD_KEYS },
  { skip: pkcs11Unavailable ? `skipped: ${pkcs11Unavailable}` : false },
);
