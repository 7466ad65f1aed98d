/**
 * Secret hygiene of configure, for both mechanisms: the AWS config file it
 * writes and everything it prints — also when it is handed a passphrase, a
 * PIN, key text or a key on standard input, which it refuses — searched for
 * every secret (test/helpers/secret-scan.ts).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { describeInBothLogFormats, HygieneWorld, MECHANISM_NAMES, PASSPHRASE, PIN, TOKEN, WORLD_KEYS } from "../helpers/hygiene-world.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

describeInBothLogFormats(
  () => w,
  () => {
    for (const name of MECHANISM_NAMES) {
      test(`configure (${name}): the profile written, and the secrets it refuses`, async () => {
        const mechanism = w.mechanism(name);
        const where = (what: string) => `configure ${what} (${name})`;
        const config = join(w.dir, `aws-config-${name.replace(/\s/g, "-")}`);
        const env = { AWS_CONFIG_FILE: config, CERTCREDS_PKCS8_PASSWORD: PASSPHRASE };
        // An encrypted key, its passphrase in the environment: the profile names the file, never the passphrase.
        const args = mechanism.args({ privateKey: mechanism.files.encryptedKey });
        await w.cli(where("with an encrypted key"), ["configure", "--profile", "hygiene", "--region", "us-east-1", ...args, "--debug"], { code: 0, env });
        const written = await readFile(config, "utf8");
        assert.match(written, /\ncredential_process = .* credential-process --certificate /);
        w.scan.corpus.add(where("— the AWS config file written"), written);
        w.scan.counts.files++;

        const keyPem = name === "IoT" ? w.thingPkcs1Pem : w.raDevice.privateKeyPem;
        const refusals: [string, string[], { input?: string; env?: Record<string, string> }?][] = [
          ["--pkcs8-password", [...args, "--pkcs8-password", PASSPHRASE]],
          ["--pkcs8-password=", [...args, `--pkcs8-password=${PASSPHRASE}`]],
          ["key as PEM text", mechanism.args({ privateKey: keyPem })],
          ["encrypted key as PEM text", mechanism.args({ privateKey: name === "IoT" ? w.thingEncryptedPem : w.raEncryptedPem })],
          ["key on standard input", mechanism.args({ privateKey: "-" }), { input: keyPem }],
          ["a PKCS#11 URI holding a PIN", mechanism.args({ privateKey: `pkcs11:token=${TOKEN};object=k?pin-value=${PIN}` })],
        ];
        for (const [what, refusedArgs, options] of refusals) {
          await w.cli(where(`refusing ${what}`), ["configure", "--profile", "hygiene", ...refusedArgs, "--debug"], { code: 2, env, ...options });
        }
        assert.equal(await readFile(config, "utf8"), written, "a refused configure writes nothing");
        w.scan.assertClean();
      });
    }
  },
);
describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 20, secrets: 50, keys: WORLD_KEYS },
);
