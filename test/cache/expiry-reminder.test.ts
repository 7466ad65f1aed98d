import assert from "node:assert/strict";
import { test } from "node:test";
import { checkedWarningDays, expiryMessage, ExpiryReminder } from "../../src/cache/expiry-reminder.js";
import type { CertificateInfo } from "../../src/core/events.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const start = Date.UTC(2026, 11, 1, 9, 0, 0);

function certificate(fingerprint: string, notAfter: number, role: CertificateInfo["role"] = "leaf", index = 0): CertificateInfo {
  return { role, index, subject: `CN=${fingerprint}`, serialNumber: "0A1B", fingerprint256: fingerprint, notAfter: new Date(notAfter) };
}

test("warned at first sight inside the threshold, then at most once a day", () => {
  const reminder = new ExpiryReminder(30);
  const leaf = certificate("AA", start + 20 * DAY);
  assert.equal(reminder.due([leaf], start).length, 1);
  assert.equal(reminder.due([leaf], start + 23 * HOUR).length, 0, "not twice in a day");
  assert.equal(reminder.due([leaf], start + DAY).length, 1, "again the next day");
  assert.equal(reminder.due([leaf], start + DAY + HOUR).length, 0);
  assert.equal(new ExpiryReminder(30).due([certificate("BB", start + 31 * DAY)], start).length, 0, "outside the threshold: nothing");
});

test("at once when fewer than 7 days, then less than 1 day, are left, even within the day", () => {
  const reminder = new ExpiryReminder(30);
  const leaf = certificate("AA", start + 7 * DAY + HOUR);
  assert.deepEqual(
    reminder.due([leaf], start).map((entry) => entry.daysLeft),
    [7],
  );
  assert.deepEqual(
    reminder.due([leaf], start + 2 * HOUR).map((entry) => entry.daysLeft),
    [6],
    "crossing 7 days warns at once",
  );
  assert.equal(reminder.due([leaf], start + 3 * HOUR).length, 0);
  const dayBefore = start + 6 * DAY;
  assert.equal(reminder.due([leaf], dayBefore).length, 1, "days later");
  assert.deepEqual(
    reminder.due([leaf], dayBefore + 2 * HOUR).map((entry) => entry.daysLeft),
    [0],
    "crossing 1 day warns at once",
  );
  assert.equal(reminder.due([leaf], dayBefore + 3 * HOUR).length, 0);
});

test("each certificate of the chain on its own; a renewed one is forgotten; 0 days turns it off", () => {
  const reminder = new ExpiryReminder(30);
  const leaf = certificate("AA", start + 2 * DAY);
  const ca = certificate("CA", start + 10 * DAY, "intermediate", 1);
  assert.deepEqual(
    reminder.due([leaf, ca], start).map((entry) => [entry.certificate.role, entry.daysLeft]),
    [
      ["leaf", 2],
      ["intermediate", 10],
    ],
  );
  const renewed = certificate("NEW", start + 300 * DAY);
  assert.deepEqual(
    reminder.due([renewed, ca], start + HOUR).map((entry) => entry.certificate.role),
    [],
    "the intermediate was warned an hour ago; the renewed leaf needs none",
  );
  assert.deepEqual(
    reminder.expiring([renewed, ca], start + HOUR).map((entry) => entry.certificate.fingerprint256),
    ["CA"],
  );
  assert.deepEqual(Object.keys(reminder.snapshot()), ["CA"], "the old leaf's record is dropped");
  assert.equal(new ExpiryReminder(0).due([leaf], start).length, 0);
  assert.equal(new ExpiryReminder(0).expiring([leaf], start).length, 0);
});

test("the state carries over to a new process (one-shot commands)", () => {
  const first = new ExpiryReminder(30);
  const leaf = certificate("AA", start + 20 * DAY);
  first.due([leaf], start);
  const state = JSON.parse(JSON.stringify(first.snapshot()));
  assert.equal(new ExpiryReminder(30, state).due([leaf], start + HOUR).length, 0, "the next process the same day stays quiet");
  assert.equal(new ExpiryReminder(30, state).due([leaf], start + DAY).length, 1);
});

test("the threshold option is checked; the message names the certificate and the fix", () => {
  assert.equal(checkedWarningDays(undefined), 30);
  assert.equal(checkedWarningDays(7), 7);
  for (const bad of [-1, Number.NaN, "30", 10_000])
    assert.throws(() => checkedWarningDays(bad), { code: "ERR_CERTCREDS_CONFIGURATION", option: "expiryWarningDays" });
  const message = expiryMessage({ certificate: certificate("CA", start + 2 * DAY, "intermediate", 1), daysLeft: 1 });
  assert.match(message, /^the intermediate certificate 1 "CN=CA" \(serial 0A1B\) expires at 2026-12-03T09:00:00\.000Z, in 1 day: renew it with your CA/);
});
