/**
 * Secret hygiene of credential-process, for both mechanisms with debug
 * logging: cold, warm and uncached calls, keys from files, env:VAR, standard
 * input and encrypted keys, and every error path; its stdout (the
 * credentials masked once checked) and stderr searched for every secret
 * (test/helpers/secret-scan.ts). Also the credentials cache: modes, and
 * nothing in it but the answer; cache clear deletes what certcreds wrote.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseProcessOutput, runCli } from "../helpers/cli.js";
import {
  ALIAS,
  describeInBothLogFormats,
  HygieneWorld,
  MECHANISM_NAMES,
  PASSPHRASE,
  PIN,
  ROLE,
  THING,
  TOKEN,
  WORLD_KEYS,
  WRONG_PASSPHRASE,
} from "../helpers/hygiene-world.js";
import { describeCorpusChecks, masked } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create({ pkcs11: true });
});
after(() => w?.close());

const modeOf = (path: string) => statSync(path).mode & 0o777;

describeInBothLogFormats(
  () => w,
  () => {
    for (const name of MECHANISM_NAMES) {
      describe(`CLI, ${name}`, () => {
        test("credential-process: cold (cache written), warm (from the cache), --no-cache; key from env:VAR and standard input", async () => {
          const mechanism = w.mechanism(name);
          const where = `credential-process (${mechanism.name})`;
          const cold = await w.cli(`${where}, cold`, ["credential-process", ...mechanism.args(), "--debug"], { code: 0, processJson: true });
          const warm = await w.cli(`${where}, warm`, ["credential-process", ...mechanism.args(), "--debug"], { code: 0, processJson: true });
          assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId, "the warm call answers from the cache");
          await w.cli(`${where}, --no-cache`, ["credential-process", ...mechanism.args(), "--no-cache", "--debug"], { code: 0, processJson: true });
          const pem = mechanism.name === "IoT" ? w.thingPkcs1Pem : w.raDevice.privateKeyPem;
          await w.cli(`${where}, key from env:VAR`, ["credential-process", ...mechanism.args({ privateKey: "env:DEVICE_KEY" }), "--no-cache", "--debug"], {
            code: 0,
            processJson: true,
            env: { DEVICE_KEY: pem },
          });
          await w.cli(`${where}, key from standard input`, ["credential-process", ...mechanism.args({ privateKey: "-" }), "--no-cache", "--debug"], {
            code: 0,
            processJson: true,
            input: pem,
          });
          await w.cli(
            `${where}, encrypted key, CERTCREDS_PKCS8_PASSWORD`,
            ["credential-process", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--no-cache", "--debug"],
            {
              code: 0,
              processJson: true,
              env: { CERTCREDS_PKCS8_PASSWORD: PASSPHRASE },
            },
          );
          await w.cli(
            `${where}, encrypted key, --pkcs8-password`,
            ["credential-process", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", PASSPHRASE, "--debug"],
            {
              code: 0,
              processJson: true,
            },
          );
          w.scan.assertClean();
        });

        test("credential-process errors: wrong key, expired certificate, wrong or missing passphrase, service errors with retries", async () => {
          const mechanism = w.mechanism(name);
          const where = `credential-process (${mechanism.name})`;
          const base = ["credential-process", "--no-cache", "--debug"];
          await Promise.all([
            w.cli(`${where}, wrong key`, [...base, ...mechanism.args({ privateKey: w.files["stranger.key"]! })], { code: 3 }),
            w.cli(
              `${where}, wrong key as PEM text`,
              [...base, ...mechanism.args({ privateKey: w.stranger.export({ type: "pkcs8", format: "pem" }).toString() })],
              { code: 3 },
            ),
            w.cli(
              `${where}, expired certificate`,
              [...base, ...mechanism.args({ certificate: mechanism.files.expiredCertificate, privateKey: mechanism.files.expiredKey })],
              { code: 3 },
            ),
            w.cli(
              `${where}, wrong passphrase`,
              [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--pkcs8-password", WRONG_PASSPHRASE],
              { code: 3 },
            ),
            w.cli(`${where}, wrong passphrase from the environment`, [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey })], {
              code: 3,
              env: { CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
            }),
            w.cli(`${where}, no passphrase`, [...base, ...mechanism.args({ privateKey: mechanism.files.encryptedKey })], { code: 3 }),
            w.cli(
              `${where}, key given as certificate`,
              [...base, ...mechanism.args({ certificate: mechanism.name === "IoT" ? w.files["thing.key"]! : w.files["ra.key"]! })],
              { code: 3 },
            ),
          ]);
          mechanism.denied();
          await w.cli(`${where}, access denied`, [...base, ...mechanism.args()], { code: 1 });
          mechanism.failing(3);
          await w.cli(`${where}, 500 three times`, [...base, ...mechanism.args()], { code: 1 });
          mechanism.throttled(3);
          await w.cli(`${where}, throttled three times`, [...base, ...mechanism.args()], { code: 1 });
          w.scan.assertClean();
        });
      });
    }
  },
);
describe("files: modes, contents limited to what is needed, deleted by cache clear", () => {
  let filesHome: string;
  let cacheDir: string;
  const env = () => ({ HOME: filesHome });
  before(async () => {
    // A cache directory someone left readable: certcreds tightens it.
    ({ home: filesHome, cacheDir } = await w.looseCacheHome("files-home"));
  });

  test("credential-process cache: directory 0700, files 0600, only the answer and its time — no key, PIN, passphrase or configuration", async () => {
    const runs = [
      w.raArgs(),
      w.iotArgs(),
      w.raArgs({ privateKey: w.files["ra-encrypted.key"]! }).concat("--pkcs8-password", PASSPHRASE),
      ...(w.hsm
        ? [
            [
              ...w.raArgs({ certificate: w.files["ra-token.pem"]!, privateKey: `pkcs11:token=${TOKEN};object=ra-key;type=private?pin-value=${PIN}` }),
              "--pkcs11-lib",
              w.hsm.library,
            ],
          ]
        : []),
    ];
    for (const args of runs) {
      // A threshold past the world's certificates' 90 days: each configuration also keeps an expiry reminder, scanned too.
      const result = await runCli(["credential-process", ...args, "--debug", "--expiry-warning-days", "365"], {
        env: { ...env(), ...(w.hsm ? { SOFTHSM2_CONF: w.hsm.conf } : {}) },
      });
      assert.equal(result.code, 0, result.stderr);
    }
    assert.equal(modeOf(cacheDir), 0o700, "the cache directory is private");
    const all = readdirSync(cacheDir);
    const names = all.filter((name) => !name.endsWith(".expiry.json"));
    const reminders = all.filter((name) => name.endsWith(".expiry.json"));
    assert.equal(names.length, runs.length, `one file per configuration, no lock or temporary file left: ${all.join(", ")}`);
    assert.deepEqual(reminders.sort(), names.map((name) => name.replace(/\.json$/, ".expiry.json")).sort(), "one expiry reminder per entry, named after it");
    const configuration = [
      w.ra.trustAnchorArn,
      w.ra.profileArn,
      ROLE,
      w.ra.url,
      w.iot.url,
      ALIAS,
      THING,
      w.dir,
      TOKEN,
      "pkcs11",
      w.files["ra.pem"]!,
      w.raDevice.certificateDer.toString("base64").slice(0, 40),
    ];
    for (const name of names) {
      assert.match(name, /^[0-9a-f]{64}\.json$/, "the file is named by a hash of the configuration");
      const path = join(cacheDir, name);
      assert.equal(modeOf(path), 0o600, `${name} is private`);
      const text = readFileSync(path, "utf8");
      const entry = JSON.parse(text) as { v: number; obtainedAt: number; credentials: Record<string, string> };
      assert.deepEqual(Object.keys(entry).sort(), ["credentials", "obtainedAt", "v"]);
      for (const key of Object.keys(entry.credentials))
        assert.ok(["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"].includes(key), key);
      const expected = w.issued.get(entry.credentials.AccessKeyId!);
      assert.equal(entry.credentials.SessionToken, expected?.sessionToken, "the cache holds the credentials issued");
      for (const value of configuration) assert.ok(!text.includes(value), `${name} holds no configuration beyond its hash`);
      w.scan.corpus.add(`cache file ${name}`, masked(text, [expected?.secretAccessKey, expected?.sessionToken]));
      w.scan.counts.files++;
    }
    for (const name of reminders) {
      const path = join(cacheDir, name);
      assert.equal(modeOf(path), 0o600, `${name} is private`);
      const text = readFileSync(path, "utf8");
      const record = JSON.parse(text) as { certificates: Record<string, unknown>[]; warned: Record<string, unknown> };
      assert.deepEqual(Object.keys(record).sort(), ["certificates", "mechanism", "nextAt", "thresholdDays", "v", "warned"]);
      for (const certificate of record.certificates) {
        assert.deepEqual(
          Object.keys(certificate).sort(),
          ["fingerprint256", "index", "notAfter", "role", "serialNumber", "subject"],
          "public facts of each certificate only",
        );
      }
      // The thing name is the thing certificate's subject (its CN): public, and what the warning names.
      for (const value of configuration.filter((value) => value !== THING)) assert.ok(!text.includes(value), `${name} holds no configuration`);
      w.scan.corpus.add(`expiry reminder ${name}`, text);
      w.scan.counts.files++;
    }
    w.scan.assertClean();
  });

  test("cache clear deletes every file certcreds wrote (answers, locks, temporary files, dead servers' tokens) and nothing else", async () => {
    // A HOME of its own: what the test above cached is not counted here.
    const { home, cacheDir } = await w.looseCacheHome("clear-home");
    const env = () => ({ HOME: home });
    const cached = await runCli(["credential-process", ...w.raArgs()], { env: env() });
    assert.equal(cached.code, 0, cached.stderr);
    const hash = "a".repeat(64);
    await writeFile(join(cacheDir, `${hash}.json.lock`), JSON.stringify({ pid: 999_999, host: "elsewhere", at: 0 }), { mode: 0o600 });
    await writeFile(join(cacheDir, `.${hash}.json.1234.abcd.tmp`), "{}", { mode: 0o600 });
    await writeFile(join(cacheDir, "serve-999999.token"), "x".repeat(43), { mode: 0o600 });
    await writeFile(join(cacheDir, "notes.txt"), "not ours");
    assert.ok(
      readdirSync(cacheDir).some((name) => name.endsWith(".json")),
      "answers are cached",
    );
    const clear = await runCli(["cache", "clear"], { env: env() });
    assert.equal(clear.code, 0, clear.stderr);
    assert.deepEqual(readdirSync(cacheDir), ["notes.txt"], "only the file certcreds did not write is left");
  });
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 50, secrets: 50, keys: WORLD_KEYS },
);
