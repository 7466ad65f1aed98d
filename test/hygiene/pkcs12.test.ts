/**
 * Secret hygiene with the identity in a PKCS#12 file: the CLI for both
 * mechanisms with the password from --pkcs12-password, CERTCREDS_PKCS12_PASSWORD
 * and a config-file profile — cold, warm, wrong, missing, split across two
 * arguments, doctor, configure — and the library's sessions with right and
 * wrong passwords; every output searched for the password, its words and
 * every key (test/helpers/secret-scan.ts).
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import { IotCredentialSession, RolesAnywhereSession } from "../../src/index.js";
import { parseProcessOutput } from "../helpers/cli.js";
import { describeInBothLogFormats, HygieneWorld, WORLD_KEYS } from "../helpers/hygiene-world.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable } from "../helpers/pkcs12.js";
import { describeCorpusChecks } from "../helpers/secret-scan.js";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const WORDS = [`pfx-${hex(6)}`, `vault${hex(10)}`];
const P12_PASSWORD = WORDS.join(" ");
const WRONG = `not-the-pfx-password-${hex(6)}`;
const skip = opensslUnavailable();

let w: HygieneWorld;
const p12: Record<string, string> = {};
before(async () => {
  w = await HygieneWorld.create();
  if (skip) return;
  const ra = { certificatePem: w.raDevice.certificatePem, keyPem: w.raDevice.privateKeyPem, chainPem: w.raIssuing.certificatePem };
  p12.ra = await exportPkcs12(w.dir, "ra.p12", { ...ra, password: P12_PASSWORD });
  p12.raEmpty = await exportPkcs12(w.dir, "ra-empty.p12", ra);
  if (!opensslLegacyUnavailable()) p12.raLegacy = await exportPkcs12(w.dir, "ra-legacy.pfx", { ...ra, password: P12_PASSWORD, legacy: true });
  p12.thing = await exportPkcs12(w.dir, "thing.p12", { certificatePem: w.thing.certificatePem, keyPem: w.thing.privateKeyPem, password: P12_PASSWORD });
  w.scan.vault.add("the PKCS#12 password", P12_PASSWORD);
  for (const word of WORDS) w.scan.vault.add("a word of the PKCS#12 password", word);
  w.scan.vault.add("a wrong PKCS#12 password", WRONG);
});
after(() => w?.close());

describeInBothLogFormats(
  () => w,
  () => {
    const raArgs = (file: string) => ["--certificate", file, ...w.raArgs().slice(6)];
    const iotArgs = (file: string) => ["--certificate", file, ...w.iotArgs().slice(4)];

    test("CLI, Roles Anywhere: credential-process cold and warm, from the variable and a profile, legacy and empty-password files, doctor", async () => {
      const where = "PKCS#12 credential-process";
      const cold = await w.cli(`${where}, --pkcs12-password, cold`, ["credential-process", ...raArgs(p12.ra!), "--pkcs12-password", P12_PASSWORD, "--debug"], {
        code: 0,
        processJson: true,
      });
      // The password is not part of the cache key: the variable finds the same entry.
      const warm = await w.cli(`${where}, CERTCREDS_PKCS12_PASSWORD, warm`, ["credential-process", ...raArgs(p12.ra!), "--debug"], {
        code: 0,
        processJson: true,
        env: { CERTCREDS_PKCS12_PASSWORD: P12_PASSWORD },
      });
      assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId);
      const config = join(w.dir, "p12-config");
      await writeFile(config, `[p12]\npkcs12-password = ${P12_PASSWORD}\n`, { mode: 0o600 });
      await w.cli(
        `${where}, password from a profile`,
        ["credential-process", ...raArgs(p12.ra!), "--no-cache", "--config-file", config, "--profile-name", "p12", "--debug"],
        {
          code: 0,
          processJson: true,
        },
      );
      if (p12.raLegacy) {
        await w.cli(`${where}, -legacy`, ["credential-process", ...raArgs(p12.raLegacy), "--no-cache", "--debug"], {
          code: 0,
          processJson: true,
          env: { CERTCREDS_PKCS12_PASSWORD: P12_PASSWORD },
        });
      }
      await w.cli(`${where}, empty password`, ["credential-process", ...raArgs(p12.raEmpty!), "--no-cache", "--debug"], { code: 0, processJson: true });
      await w.cli("PKCS#12 doctor", ["doctor", ...raArgs(p12.ra!), "--debug"], { code: 0, env: { CERTCREDS_PKCS12_PASSWORD: P12_PASSWORD } });
      w.scan.assertClean();
    });

    test("CLI errors: wrong password (flag, variable), missing, split across two arguments, both passwords differing, configure, doctor", async () => {
      const base = ["credential-process", "--no-cache", "--debug"];
      await Promise.all([
        w.cli("PKCS#12 wrong password", [...base, ...raArgs(p12.ra!), "--pkcs12-password", WRONG], { code: 3 }),
        w.cli("PKCS#12 wrong password from the variable", [...base, ...raArgs(p12.ra!)], { code: 3, env: { CERTCREDS_PKCS12_PASSWORD: WRONG } }),
        w.cli("PKCS#12 no password", [...base, ...raArgs(p12.ra!)], { code: 3 }),
        w.cli("PKCS#12 password unquoted", [...base, ...raArgs(p12.ra!), "--pkcs12-password", ...WORDS], { code: 2 }),
        w.cli("PKCS#12 and PKCS#8 passwords differ", [...base, ...raArgs(p12.ra!), "--pkcs12-password", P12_PASSWORD, "--pkcs8-password", WRONG], { code: 3 }),
        w.cli("PKCS#12 configure with the password", ["configure", ...raArgs(p12.ra!), "--pkcs12-password", P12_PASSWORD, "--profile", "p12"], {
          code: 2,
          env: { AWS_CONFIG_FILE: join(w.dir, "aws-config-p12") },
        }),
        w.cli("PKCS#12 doctor, wrong password", ["doctor", ...raArgs(p12.ra!), "--debug"], { code: 1, env: { CERTCREDS_PKCS12_PASSWORD: WRONG } }),
      ]);
      w.scan.assertClean();
    });

    test("CLI, IoT over mutual TLS: the key from the file", async () => {
      await w.cli("PKCS#12 IoT credential-process", ["credential-process", ...iotArgs(p12.thing!), "--no-cache", "--debug"], {
        code: 0,
        processJson: true,
        env: { CERTCREDS_PKCS12_PASSWORD: P12_PASSWORD },
      });
      await w.cli("PKCS#12 IoT wrong password", ["credential-process", ...iotArgs(p12.thing!), "--no-cache", "--debug"], {
        code: 3,
        env: { CERTCREDS_PKCS12_PASSWORD: WRONG },
      });
      w.scan.assertClean();
    });

    test("library: both mechanisms with the file and passphrase, right and wrong, the logger at trace", async () => {
      const file = (path: string) => ({ certificate: path, certificateChain: undefined, privateKey: undefined });
      await w.librarySession(
        "PKCS#12 RolesAnywhereSession",
        (logger) => new RolesAnywhereSession({ ...w.raInit(logger, { ...file(p12.ra!), passphrase: P12_PASSWORD }), logLevel: "trace" }),
        w.fetchTwice,
        "success",
      );
      await w.librarySession(
        "PKCS#12 RolesAnywhereSession, wrong passphrase",
        (logger) => new RolesAnywhereSession({ ...w.raInit(logger, { ...file(p12.ra!), passphrase: WRONG }), logLevel: "trace" }),
        (session) => session.getCredentials(),
        "error",
      );
      await w.librarySession(
        "PKCS#12 IotCredentialSession",
        (logger) => new IotCredentialSession(w.iotInit(logger, { ...file(p12.thing!), passphrase: P12_PASSWORD })),
        w.fetchTwice,
        "success",
      );
      await w.librarySession(
        "PKCS#12 IotCredentialSession, no passphrase",
        (logger) => new IotCredentialSession(w.iotInit(logger, file(p12.thing!))),
        (session) => session.getCredentials(),
        "error",
      );
      w.scan.assertClean();
    });
  },
  "secret hygiene with PKCS#12 files: no password or key in anything shown",
  { skip },
);

describeCorpusChecks(
  () => w.scan,
  () => w.plantedLeakSample(),
  { texts: 30, secrets: 40, keys: WORLD_KEYS },
  { skip: skip ? `skipped: ${skip}` : false },
);
