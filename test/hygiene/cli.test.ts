/**
 * Secret hygiene of the CLI as a whole: --help and --version, the help of
 * each command, usage and configuration errors (a secret typed in the wrong
 * place is never echoed), cache clear and the demo — every output searched
 * for every secret (test/helpers/secret-scan.ts).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ALIAS, describeInBothLogFormats, HygieneWorld, PASSPHRASE, PASSPHRASE_WORDS, PIN, STRAY_PIN, TOKEN, WORLD_KEYS } from "../helpers/hygiene-world.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

describeInBothLogFormats(
  () => w,
  () => {
    test("CLI: --help, --version, the help of each command", async () => {
      const runs: [string, string[], number][] = [
        ["certcreds --help", ["--help"], 0],
        ["certcreds -h", ["-h"], 0],
        ["certcreds (no command)", [], 2],
        ["certcreds --version", ["--version"], 0],
        ["certcreds version", ["version"], 0],
        ["certcreds help serve", ["help", "serve"], 0],
        ["certcreds cache --help", ["cache", "--help"], 0],
        ...["credential-process", "serve", "update", "configure", "sign-string", "read-certificate-data", "doctor", "emulate"].map(
          (c): [string, string[], number] => [`certcreds ${c} --help`, [c, "--help"], 0],
        ),
      ];
      await Promise.all(runs.map(([where, args, code]) => w.cli(where, args, { code })));
      w.scan.assertClean();
    });

    test("CLI: usage and configuration errors never echo a secret the user mistyped", async () => {
      const malformedUri = `pkcs11:token=${TOKEN};bogus=1?pin-value=${PIN}`;
      const runs: [string, string[], number, Record<string, string>?][] = [
        ["a PIN after --reuse-pin (which takes no value)", ["credential-process", "--reuse-pin", STRAY_PIN, ...w.raArgs()], 2],
        ["a PIN as the value of --reuse-pin", ["credential-process", `--reuse-pin=${STRAY_PIN}`, ...w.raArgs()], 2],
        ["a PIN in CERTCREDS_REUSE_PIN", ["credential-process", ...w.raArgs()], 3, { CERTCREDS_REUSE_PIN: STRAY_PIN }],
        ["a passphrase with a space, unquoted", ["credential-process", "--pkcs8-password", ...PASSPHRASE_WORDS, ...w.raArgs()], 2],
        [
          "a passphrase with a space, unquoted, --flag=value",
          ["credential-process", `--pkcs8-password=${PASSPHRASE_WORDS[0]}`, PASSPHRASE_WORDS[1]!, ...w.raArgs()],
          2,
        ],
        ["a mistyped passphrase flag", ["credential-process", `--pkcs8-pasword=${PASSPHRASE}`, ...w.raArgs()], 2],
        ["a passphrase flag on a command without it", ["read-certificate-data", "--certificate", w.files["ra.pem"]!, "--pkcs8-password", PASSPHRASE], 2],
        ["a passphrase and no mechanism", ["credential-process", "--pkcs8-password", PASSPHRASE, "--certificate", w.files["ra.pem"]!], 2],
        ["both mechanisms, key as PEM text", ["credential-process", ...w.raArgs({ privateKey: w.raDevice.privateKeyPem }), "--role-alias", ALIAS], 2],
        ["key as PEM text and an unknown flag", ["credential-process", ...w.raArgs({ privateKey: w.raDevice.privateKeyPem }), "--bogus"], 2],
        ["a malformed PKCS#11 URI holding a PIN", ["credential-process", ...w.raArgs({ privateKey: malformedUri })], 3],
        ["a PKCS#11 URI holding a PIN given to sign-string", ["sign-string", "--private-key", `pkcs11:token=${TOKEN}?pin-value=${PIN}`, "--string", "x"], 2],
        ["a PKCS#11 URI holding a PIN given to read-certificate-data", ["read-certificate-data", "--certificate", `pkcs11:token=${TOKEN}?pin-value=${PIN}`], 3],
        ["serve with a passphrase and a bad port", ["serve", ...w.raArgs(), "--pkcs8-password", PASSPHRASE, "--port", "99999"], 2],
        ["update with a bad profile name", ["update", ...w.raArgs(), "--profile", "a]b"], 2],
        ["configure with a passphrase and no --profile", ["configure", ...w.raArgs(), "--pkcs8-password", PASSPHRASE], 2],
        ["configure with key text and a bad profile name", ["configure", ...w.raArgs({ privateKey: w.raDevice.privateKeyPem }), "--profile", "a b"], 2],
      ];
      const results = await Promise.all(
        runs.map(([where, args, code, env]) => w.cli(`usage error: ${where}`, [...args, "--debug"], { code, ...(env ? { env } : {}) })),
      );
      w.scan.assertClean();
      // Still saying what to fix.
      assert.match(results[0]!.stderr, /unexpected argument after --reuse-pin .*--reuse-pin takes no value/);
      assert.match(results[1]!.stderr, /--reuse-pin must be true or false/);
      assert.match(results[3]!.stderr, /unexpected argument after --pkcs8-password .*quote a value that holds spaces/);
      assert.match(results[10]!.stderr, /pin-value=\*\*\*/);
    });

    test("CLI: cache clear and demo", async () => {
      await w.cli("cache clear", ["cache", "clear", "--debug"], { code: 0 });
      const demo = await w.cli("demo", ["demo"], { code: 0 });
      assert.match(demo.stdout, /Done: certificate in, working AWS credentials out/);
      w.scan.assertClean();
    });
  },
);
describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 40, secrets: 50, keys: WORLD_KEYS },
);
