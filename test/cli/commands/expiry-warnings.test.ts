/**
 * Certificate expiry warnings on the command line, with certificates that
 * expire in 2 days: credential-process (once per AWS call, so warned at
 * first sight and then daily across runs, through the record beside its
 * cache entry), update and serve (from their session), doctor (days left for
 * the leaf and each intermediate) and read-certificate-data; a renewed
 * certificate clears the warning.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TestCertificate, TestCertificateAuthority } from "../../../testing/index.js";
import { createRolesAnywhereFixture, parseProcessOutput, type RolesAnywhereFixture, requireBuild, runCli, startCli, startServe } from "../../helpers/cli.js";
import { jsonLogLines } from "../../helpers/log-lines.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2 days and a bit: "in 2 days" whatever the seconds the test takes. */
const SOON = 2 * DAY + 2 * HOUR;
const WARNING = /^certcreds warning: the certificate "CN=expiring-device" \(serial [0-9A-F]+\) expires at \S+Z, in 2 days: renew it with your CA/m;

type Issued = TestCertificate & { privateKeyPem: string };

let f: RolesAnywhereFixture;
let expiring: Issued;
let shortIssuing: TestCertificateAuthority;
let underShort: Issued;
const files: Record<string, string> = {};

before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  expiring = (await f.issuing.issue({ commonName: "expiring-device", notAfter: new Date(Date.now() + SOON) })) as Issued;
  shortIssuing = await f.root.createIntermediate({ commonName: "expiring issuing CA", notAfter: new Date(Date.now() + SOON) });
  underShort = (await shortIssuing.issue({ commonName: "device-of-a-short-ca", notAfter: new Date(Date.now() + 300 * DAY) })) as Issued;
  const write = async (name: string, text: string, mode = 0o644) => {
    files[name] = join(f.dir, name);
    await writeFile(files[name]!, text, { mode });
  };
  await write("expiring.pem", expiring.certificatePem);
  await write("expiring.key", expiring.privateKeyPem, 0o600);
  await write("short-chain.pem", shortIssuing.certificatePem);
  await write("under-short.pem", underShort.certificatePem);
  await write("under-short.key", underShort.privateKeyPem, 0o600);
});
after(() => f?.close());

/** The fixture's flags with another certificate and key (and chain). */
function args(certificate: string, key: string, chain = f.chainFile): string[] {
  const out = [...f.args];
  out[out.indexOf("--certificate") + 1] = certificate;
  out[out.indexOf("--private-key") + 1] = key;
  out[out.indexOf("--intermediates") + 1] = chain;
  return out;
}

const expiringArgs = () => args(files["expiring.pem"]!, files["expiring.key"]!);

describe("credential-process: warned at first sight, then daily across runs — not at every AWS call", () => {
  test("first run warns; the next runs of the day (warm, and cold with the record kept) do not; a renewed certificate clears it", async () => {
    const env = { ...f.env, XDG_CACHE_HOME: join(f.dir, "daily-cache") };
    const cacheDir = join(f.dir, "daily-cache", "certcreds");
    const first = await runCli(["credential-process", ...expiringArgs()], { env });
    assert.equal(first.code, 0, first.stderr);
    const answer = parseProcessOutput(first.stdout);
    assert.match(first.stderr, WARNING);
    assert.equal(first.stderr.trimEnd().split("\n").length, 1, `only the leaf is inside the threshold: ${first.stderr}`);
    const names = (await readdir(cacheDir)).sort();
    assert.equal(names.length, 2, names.join(", "));
    assert.match(names[0]!, /^[0-9a-f]{64}\.expiry\.json$/);

    const warm = await runCli(["credential-process", ...expiringArgs()], { env });
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, answer.AccessKeyId, "answered from the cache");
    assert.equal(warm.stderr, "", "the second run of the day does not warn again");

    // A refresh (the entry gone, the record kept): still not again within the day.
    const calls = f.ra.createSessionCount;
    await rm(join(cacheDir, names[1]!));
    const cold = await runCli(["credential-process", ...expiringArgs(), "--log-format", "json"], { env });
    assert.equal(cold.code, 0, cold.stderr);
    assert.equal(f.ra.createSessionCount, calls + 1, "a fetch was made");
    assert.equal(cold.stderr, "", "nor after a refresh within the day");

    // The record as a run of the day before would have left it: warned again, answered from the cache (no call).
    const recordFile = join(cacheDir, names[0]!);
    const record = JSON.parse(await readFile(recordFile, "utf8")) as { nextAt: number; warned: Record<string, { at: number }> };
    for (const entry of Object.values(record.warned)) entry.at -= DAY;
    record.nextAt -= DAY;
    await writeFile(recordFile, JSON.stringify(record));
    const nextDay = await runCli(["credential-process", ...expiringArgs()], { env });
    assert.equal(nextDay.code, 0, nextDay.stderr);
    assert.match(nextDay.stderr, WARNING, "a day later: warned again");
    assert.equal(f.ra.createSessionCount, calls + 1, "from the cache");
    assert.equal(parseProcessOutput(nextDay.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId);
    const sameDay = await runCli(["credential-process", ...expiringArgs()], { env });
    assert.equal(sameDay.stderr, "", "and not again that day");

    // Renewed on disk (same paths): new credentials, no warning.
    const renewedCert = join(f.dir, "renewed.pem");
    const renewedKey = join(f.dir, "renewed.key");
    const renewed = (await f.issuing.issue({ commonName: "expiring-device", notAfter: new Date(Date.now() + 365 * DAY) })) as Issued;
    await writeFile(renewedCert, expiring.certificatePem);
    await writeFile(renewedKey, expiring.privateKeyPem, { mode: 0o600 });
    const before = await runCli(["credential-process", ...args(renewedCert, renewedKey)], { env: { ...env, XDG_CACHE_HOME: join(f.dir, "renew-cache") } });
    assert.match(before.stderr, WARNING, "the certificate about to be renewed is warned about");
    await writeFile(renewedCert, renewed.certificatePem);
    await writeFile(renewedKey, renewed.privateKeyPem, { mode: 0o600 });
    const after = await runCli(["credential-process", ...args(renewedCert, renewedKey)], { env: { ...env, XDG_CACHE_HOME: join(f.dir, "renew-cache") } });
    assert.equal(after.code, 0, after.stderr);
    assert.notEqual(parseProcessOutput(after.stdout).AccessKeyId, parseProcessOutput(before.stdout).AccessKeyId, "the renewed certificate was used");
    assert.equal(after.stderr, "", "renewed: nothing to warn about");
  });

  test("--log-format json: one certificate-expiring line with the certificate's public facts; --no-cache warns at every run", async () => {
    for (let run = 1; run <= 2; run++) {
      const result = await runCli(["credential-process", ...expiringArgs(), "--no-cache", "--log-format", "json"], { env: f.env });
      assert.equal(result.code, 0, result.stderr);
      parseProcessOutput(result.stdout);
      const [line, ...more] = jsonLogLines(result.stderr, `--no-cache run ${run}`);
      assert.equal(more.length, 0);
      assert.equal(line!.event, "certificate-expiring");
      assert.equal(line!.level, "warn");
      assert.equal(line!.mechanism, "IAM Roles Anywhere");
      assert.equal(line!.certificate, "leaf");
      assert.equal(line!.index, 0);
      assert.equal(line!.subject, "CN=expiring-device");
      const x509 = new X509Certificate(expiring.certificatePem);
      assert.equal(line!.serialNumber, x509.serialNumber);
      assert.equal(line!.notAfter, new Date(x509.validTo).toISOString());
      assert.equal(line!.daysLeft, 2);
      assert.equal(line!.thresholdDays, 30);
      assert.match(line!.message, /^the certificate "CN=expiring-device" .* in 2 days: renew it/);
    }
  });

  test("an intermediate inside the threshold; --expiry-warning-days moves it; 0 turns it off", async () => {
    const shortArgs = args(files["under-short.pem"]!, files["under-short.key"]!, files["short-chain.pem"]!);
    const env = { ...f.env, XDG_CACHE_HOME: join(f.dir, "intermediate-cache") };
    const result = await runCli(["credential-process", ...shortArgs], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^certcreds warning: the intermediate certificate 1 "CN=expiring issuing CA" \(serial [0-9A-F]+\) expires at \S+, in 2 days: /);
    assert.doesNotMatch(result.stderr, /device-of-a-short-ca/, "the leaf has 300 days");
    const narrower = await runCli(["credential-process", ...shortArgs, "--expiry-warning-days", "1"], { env });
    assert.equal(narrower.code, 0, narrower.stderr);
    assert.equal(narrower.stderr, "", "2 days left is outside a 1-day threshold");
    const off = await runCli(["credential-process", ...expiringArgs(), "--no-cache"], { env: { ...env, CERTCREDS_EXPIRY_WARNING_DAYS: "0" } });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stderr, "");
    const wider = await runCli(["credential-process", ...args(f.certFile, f.keyFile), "--no-cache", "--expiry-warning-days", "400"], { env });
    assert.match(wider.stderr, /the certificate "CN=cli-device" .* in 36\d days/, "a year-long certificate inside a 400-day threshold");
  });

  test("an unusable --expiry-warning-days is refused, named as it was given", async () => {
    const flag = await runCli(["credential-process", ...expiringArgs(), "--expiry-warning-days", "-1"], { env: f.env });
    assert.equal(flag.code, 3);
    assert.equal(flag.stderr, "certcreds credential-process: --expiry-warning-days -1 is not a number of days from 0 (no warning) to 3650.\n");
    const variable = await runCli(["serve", ...expiringArgs()], { env: { ...f.env, CERTCREDS_EXPIRY_WARNING_DAYS: "4000" } });
    assert.equal(variable.code, 3);
    assert.match(variable.stderr, /^certcreds serve: CERTCREDS_EXPIRY_WARNING_DAYS 4000 is not a number of days from 0 \(no warning\) to 3650\.\n$/);
  });
});

describe("update, serve, doctor and read-certificate-data", () => {
  test("update --once and update kept running warn on standard error", async () => {
    const once = await runCli(["update", ...expiringArgs(), "--once"], { env: f.env });
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stderr, WARNING);
    assert.match(once.stderr, /^certcreds update: profile \[default\]/m);
    const running = startCli(["update", ...expiringArgs(), "--profile", "kept", "--log-format", "json"], { env: f.env });
    await running.waitForError(/"event":"update-written"/, 20_000);
    const stopped = await running.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    const events = jsonLogLines(stopped.stderr, "update kept running").map((line) => line.event);
    assert.deepEqual(events.slice(0, 2), ["certificate-expiring", "update-written"]);
  });

  test("serve warns on standard error", async () => {
    const served = await startServe(expiringArgs(), { env: f.env });
    try {
      await served.cli.waitForError(WARNING);
    } finally {
      const stopped = await served.cli.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    }
  });

  test("doctor shows days left for the leaf and each intermediate, and flags those inside the threshold (a warning: exit 0)", async () => {
    const result = await runCli(["doctor", ...expiringArgs()], { env: f.env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^ {2}! certificate expiry: certificate "CN=expiring-device" 2 days left \(until \S+Z\) — inside the 30-day warning threshold; intermediate 1 "CN=CLI test issuing CA" 72\d days left \(until \S+Z\): renew with your CA/m,
    );
    assert.match(result.stdout, /All checks passed; act on the warnings \(!\) above\.\n$/);
    assert.doesNotMatch(result.stderr, WARNING, "said once, in its step: the real call does not repeat it on standard error");
    const fine = await runCli(["doctor", ...f.args], { env: f.env });
    assert.equal(fine.code, 0, fine.stdout);
    assert.match(
      fine.stdout,
      /^ {2}✔ certificate expiry: certificate "CN=cli-device" 36\d days left \(until \S+Z\); intermediate 1 "CN=CLI test issuing CA" 72\d days left/m,
    );
    assert.match(fine.stdout, /All checks passed\.\n$/);
    const short = await runCli(
      ["doctor", ...args(files["under-short.pem"]!, files["under-short.key"]!, files["short-chain.pem"]!), "--expiry-warning-days", "3"],
      {
        env: f.env,
      },
    );
    assert.match(
      short.stdout,
      /! certificate expiry: certificate "CN=device-of-a-short-ca" 29\d days left \(until \S+\); intermediate 1 "CN=expiring issuing CA" 2 days left \(until \S+\) — inside the 3-day/,
    );
  });

  test("read-certificate-data: its answer as before, the warning on standard error", async () => {
    const result = await runCli(["read-certificate-data", "--certificate", files["expiring.pem"]!], { env: f.env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(Object.keys(JSON.parse(result.stdout)), ["keyType", "certificateData", "serialNumber", "supportedAlgorithms"]);
    assert.match(result.stderr, WARNING);
    const fine = await runCli(["read-certificate-data", "--certificate", f.certFile], { env: f.env });
    assert.equal(fine.stderr, "");
  });
});
