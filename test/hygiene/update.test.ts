/**
 * Secret hygiene of update, for both mechanisms with debug logging: the
 * credentials file it writes (checked, then masked), its output once and
 * while it keeps running, and its errors searched for every secret
 * (test/helpers/secret-scan.ts). Also the credentials file's mode and
 * contents.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli, startCli } from "../helpers/cli.js";
import { describeInBothLogFormats, HygieneWorld, MECHANISM_NAMES, WORLD_KEYS, WRONG_PASSPHRASE } from "../helpers/hygiene-world.js";
import { describeCorpusChecks, masked } from "../helpers/secret-scan.js";

let w: HygieneWorld;
before(async () => {
  w = await HygieneWorld.create();
});
after(() => w?.close());

const modeOf = (path: string) => statSync(path).mode & 0o777;

describeInBothLogFormats(
  () => w,
  () => {
    for (const name of MECHANISM_NAMES) {
      describe(`CLI, ${name}`, () => {
        test("update: --once, kept running, a wrong passphrase, a failing service", async () => {
          const mechanism = w.mechanism(name);
          const where = (what: string) => `${what} (${mechanism.name})`;
          const credentialsFile = join(w.dir, `credentials-${mechanism.name.replace(/\s/g, "-")}-${w.logFormat}`);
          const update = await w.cli(where("update --once"), ["update", ...mechanism.args(), "--once", "--profile", "hygiene", "--debug"], {
            code: 0,
            env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile },
          });
          assert.equal(update.stdout, "");
          const written = await readFile(credentialsFile, "utf8");
          const keyId = /aws_access_key_id = (\S+)/.exec(written)?.[1];
          const expected = w.issued.get(keyId ?? "");
          assert.ok(expected, "update wrote issued credentials");
          w.scan.corpus.add(where("the credentials file update wrote"), masked(written, [expected.secretAccessKey, expected.sessionToken]));
          w.scan.counts.files++;
          // Kept running: the refresh loop's lines too.
          const running = startCli(w.withLogFormat(["update", ...mechanism.args(), "--profile", "running", "--debug"]), {
            env: { HOME: w.home, AWS_SHARED_CREDENTIALS_FILE: credentialsFile },
          });
          await running.waitForError(/next refresh in \d+ s/, 30_000);
          const stopped = await running.stop();
          assert.equal(stopped.code, 0, stopped.stderr);
          w.scan.counts.cliRuns++;
          w.scan.corpus.add(where("update, running — stdout"), stopped.stdout);
          w.recordStderr(where("update, running"), stopped.stderr);
          await w.cli(
            where("update --once, wrong passphrase"),
            ["update", ...mechanism.args({ privateKey: mechanism.files.encryptedKey }), "--once", "--debug"],
            {
              code: 3,
              env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, CERTCREDS_PKCS8_PASSWORD: WRONG_PASSPHRASE },
            },
          );
          mechanism.failing(3);
          await w.cli(where("update --once, service failing"), ["update", ...mechanism.args(), "--once", "--debug"], {
            code: 1,
            env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile },
          });
          w.scan.assertClean();
        });
      });
    }
  },
);
describe("files: modes, contents limited to what is needed, deleted by cache clear", () => {
  let filesHome: string;
  const env = () => ({ HOME: filesHome });
  before(async () => {
    // A cache directory someone left readable: certcreds tightens it.
    ({ home: filesHome } = await w.looseCacheHome("files-home"));
  });

  test("update: the credentials file is 0600 (also when it was 0644), a new ~/.aws is 0700, only the three keys are written", async () => {
    const awsDir = join(filesHome, ".aws");
    const fresh = await runCli(["update", ...w.iotArgs(), "--once"], { env: env() });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(modeOf(awsDir), 0o700);
    const file = join(awsDir, "credentials");
    assert.equal(modeOf(file), 0o600);
    await writeFile(file, "# mine\n[other]\nregion = eu-west-1\n");
    await chmod(file, 0o644);
    const again = await runCli(["update", ...w.raArgs(), "--once", "--profile", "work"], { env: env() });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(modeOf(file), 0o600, "a rewrite leaves the file private");
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith("# mine\n[other]\nregion = eu-west-1\n"), "other content kept byte for byte");
    const written = text.slice(text.indexOf("[work]"));
    assert.deepEqual(
      written
        .trim()
        .split("\n")
        .map((line) => line.split(" = ")[0]),
      ["[work]", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"],
    );
    const expected = w.issued.get(/aws_access_key_id = (\S+)/.exec(written)?.[1] ?? "");
    assert.ok(expected);
    w.scan.corpus.add("update's credentials file", masked(text, [expected.secretAccessKey, expected.sessionToken]));
    w.scan.counts.files++;
    w.scan.assertClean();
  });
});

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 12, secrets: 50, keys: WORLD_KEYS },
);
