/**
 * The expiry reminder of credential-process kept across processes: each run
 * restores the ExpiryReminder from the record beside the cache entry, so a
 * certificate is warned about at first sight, then once a day and at 7 and
 * 1 days — not at every AWS call. Times are passed explicitly (no clock is
 * faked in the product); the end-to-end runs are in
 * test/cli/commands/expiry-warnings.test.ts.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ExpiryReminder } from "../../../src/cache/expiry-reminder.js";
import { type ExpiryRecord, expiryFile, expiryReminderDue, readExpiryRecord } from "../../../src/cli/fs/cache-expiry.js";
import { dueAcrossRuns } from "../../../src/cli/fs/cache-reminder.js";
import type { CertificateInfo } from "../../../src/index.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2030-03-01T08:00:00.000Z");

function certificate(role: "leaf" | "intermediate", index: number, notAfter: number, fingerprint: string): CertificateInfo {
  return { role, index, subject: `CN=${role}-${index}`, serialNumber: `0${index}AB`, fingerprint256: fingerprint, notAfter: new Date(notAfter) };
}

const leaf = certificate("leaf", 0, T0 + 2 * DAY + HOUR, "AA:01");
const intermediate = certificate("intermediate", 1, T0 + 400 * DAY, "BB:02");
const certificates = [leaf, intermediate];

/** One run of credential-process's reminder at `now`, after a fetch with `seen` (the record's own certificates when `fromRecord`). */
function run(file: string, now: number, thresholdDays = 30, seen: readonly CertificateInfo[] = certificates, fromRecord = false): string[] {
  const result = dueAcrossRuns(file, fromRecord ? undefined : { mechanism: "IAM Roles Anywhere", certificates: seen }, thresholdDays, now);
  assert.equal(result?.keepError, undefined);
  return (result?.due ?? []).map((entry) => `${entry.certificate.subject} ${entry.daysLeft}`);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-expiry-record-"));
  await chmod(dir, 0o700);
});
after(() => rm(dir, { recursive: true, force: true }));

describe("the expiry reminder across processes", () => {
  test("first sight warns; later runs the same day do not; the next day does; fewer than 1 day left warns at once", () => {
    const file = expiryFile(dir, "a".repeat(64));
    assert.match(file, /\/a{64}\.expiry\.json$/);
    assert.deepEqual(run(file, T0), ["CN=leaf-0 2"], "first sight: the leaf (2 days left), not the intermediate (400)");
    const record = readExpiryRecord(file)!;
    assert.equal(record.nextAt, T0 + DAY, "next: a day later (the 1-day stage comes after)");
    assert.deepEqual(record.warned, { "AA:01": { at: T0, stage: 1 } });
    for (const later of [T0 + 1, T0 + HOUR, T0 + DAY - 1]) {
      assert.equal(expiryReminderDue(readExpiryRecord(file), 30, later), false, `not due ${later - T0} ms later: the warm path answers`);
      assert.deepEqual(run(file, later), [], `no warning ${later - T0} ms later`);
    }
    assert.equal(expiryReminderDue(readExpiryRecord(file), 30, T0 + DAY), true, "due a day later");
    // Answered from the cache (no fetch): the record's certificates are the ones warned about.
    assert.deepEqual(run(file, T0 + DAY, 30, certificates, true), ["CN=leaf-0 1"], "daily");
    assert.equal(readExpiryRecord(file)!.mechanism, "IAM Roles Anywhere");
    // Less than one day left: 1 h after the last warning, at once.
    const lastDay = leaf.notAfter.getTime() - DAY + 1;
    assert.equal(readExpiryRecord(file)!.nextAt, lastDay);
    assert.deepEqual(run(file, lastDay - 1), []);
    assert.deepEqual(run(file, lastDay), ["CN=leaf-0 0"], "the last day");
    assert.deepEqual(run(file, lastDay + HOUR), []);
  });

  test("7 days left warns at once although a warning was given less than a day before", () => {
    const file = expiryFile(dir, "b".repeat(64));
    const week = certificate("leaf", 0, T0 + 7 * DAY + 2 * HOUR, "CC:03");
    assert.deepEqual(run(file, T0, 30, [week]), ["CN=leaf-0 7"]);
    assert.equal(readExpiryRecord(file)!.nextAt, week.notAfter.getTime() - 7 * DAY + 1);
    assert.deepEqual(run(file, T0 + 2 * HOUR + 1, 30, [week]), ["CN=leaf-0 6"]);
  });

  test("another threshold is due at once (computed again); a certificate outside it, or renewed, leaves no record", () => {
    const file = expiryFile(dir, "c".repeat(64));
    run(file, T0);
    assert.equal(expiryReminderDue(readExpiryRecord(file), 1, T0 + HOUR), true, "--expiry-warning-days changed");
    assert.deepEqual(run(file, T0 + HOUR, 1), [], "2 days left is outside a 1-day threshold");
    assert.equal(readExpiryRecord(file), undefined, "nothing inside the threshold: the record is deleted");
    run(file, T0);
    const renewed = certificate("leaf", 0, T0 + 365 * DAY, "DD:04");
    assert.deepEqual(run(file, T0 + HOUR, 30, [renewed, intermediate]), [], "renewed: nothing to warn about");
    assert.equal(readExpiryRecord(file), undefined, "renewed: the record is gone");
    assert.equal(expiryReminderDue(undefined, 30, T0), false, "no record: nothing due");
    assert.equal(new ExpiryReminder(0).nextDueAt(certificates, T0), undefined, "warnings off: never due");
  });

  test("a record that is not one, or that others can read, counts as absent", async () => {
    const file = expiryFile(dir, "d".repeat(64));
    run(file, T0);
    assert.ok(readExpiryRecord(file));
    await chmod(file, 0o644);
    assert.equal(readExpiryRecord(file), undefined, "group/world readable");
    for (const text of ["not json", "{}", JSON.stringify({ ...readExpiryRecordText(), v: 2 }), JSON.stringify({ ...readExpiryRecordText(), warned: [] })]) {
      await writeFile(file, text, { mode: 0o600 });
      await chmod(file, 0o600);
      assert.equal(readExpiryRecord(file), undefined, text.slice(0, 40));
    }
  });
});

function readExpiryRecordText(): ExpiryRecord {
  return { v: 1, thresholdDays: 30, nextAt: T0, mechanism: "x", certificates: [], warned: {} };
}
