/**
 * Secret hygiene of doctor (passing and failing), sign-string and
 * read-certificate-data, for both mechanisms' keys with debug logging: every
 * output searched for every secret (test/helpers/secret-scan.ts); the
 * certificates they print are public material, not leaks.
 */
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { HygieneWorld, MECHANISM_NAMES, PASSPHRASE, WORLD_KEYS, WRONG_PASSPHRASE } from "../helpers/hygiene-world.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

describe("secret hygiene: no key, PIN, passphrase, secret key or token in anything shown", () => {
  for (const name of MECHANISM_NAMES) {
    describe(`CLI, ${name}`, () => {
      test("doctor passing and failing, sign-string, read-certificate-data", async () => {
        const mechanism = w.mechanism(name);
        const where = (what: string) => `${what} (${mechanism.name})`;
        const key = mechanism.name === "IoT" ? w.files["thing.key"]! : w.files["ra.key"]!;
        await Promise.all([
          w.cli(where("doctor, passing"), ["doctor", ...mechanism.args(), "--debug"], { code: 0 }),
          w.cli(where("doctor, wrong key"), ["doctor", ...mechanism.args({ privateKey: w.files["stranger.key"]! }), "--debug"], { code: 1 }),
          w.cli(
            where("doctor, expired certificate"),
            ["doctor", ...mechanism.args({ certificate: mechanism.files.expiredCertificate, privateKey: mechanism.files.expiredKey }), "--debug"],
            { code: 1 },
          ),
          w.cli(
            where("doctor, wrong passphrase"),
            ["doctor", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", WRONG_PASSPHRASE, "--debug"],
            { code: 1 },
          ),
          w.cli(where("doctor, key given as certificate"), ["doctor", ...mechanism.args({ certificate: key }), "--debug"], { code: 1 }),
          w.cli(where("sign-string json"), ["sign-string", "--private-key", key, "--string", "hello", "--debug"], { code: 0 }),
          w.cli(
            where("sign-string text, SHA384"),
            ["sign-string", "--private-key", key, "--string", "hello", "--format", "text", "--digest", "SHA384", "--debug"],
            { code: 0 },
          ),
          w.cli(where("sign-string bin, from standard input"), ["sign-string", "--private-key", key, "--format", "bin", "--debug"], {
            code: 0,
            input: "hello",
          }),
          w.cli(where("sign-string, key from standard input"), ["sign-string", "--private-key", "-", "--string", "hello", "--debug"], {
            code: 0,
            input: readFileSync(key),
          }),
          w.cli(
            where("sign-string, encrypted key"),
            ["sign-string", "--private-key", mechanism.files.encryptedKey, "--pkcs8-password", PASSPHRASE, "--string", "x", "--debug"],
            { code: 0 },
          ),
          w.cli(where("sign-string, wrong passphrase"), ["sign-string", "--private-key", mechanism.files.encryptedKey, "--string", "x", "--debug"], {
            code: 3,
            env: { CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
          }),
          w.cli(where("sign-string, bad digest"), ["sign-string", "--private-key", key, "--string", "x", "--digest", "MD5", "--debug"], { code: 2 }),
          w.cli(where("read-certificate-data"), ["read-certificate-data", "--certificate", mechanism.args()[1]!, "--debug"], { code: 0 }),
          w.cli(where("read-certificate-data, key given as certificate"), ["read-certificate-data", "--certificate", key, "--debug"], { code: 3 }),
        ]);
        mechanism.denied();
        await w.cli(where("doctor, access denied"), ["doctor", ...mechanism.args(), "--debug"], { code: 1 });
        w.scan.assertClean();
      });
    });
  }
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 40, secrets: 50, keys: WORLD_KEYS },
);
