/**
 * GET /metrics and the expiry warning of /healthz, on the credential server
 * over a real session against the Roles Anywhere emulator. Every exposition
 * is checked by the real `promtool check metrics` (parser and linter).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REFRESH_OUTCOMES } from "../../../src/core/events.js";
import { createRolesAnywhereFixture, http, ROOT, type RolesAnywhereFixture } from "../../helpers/cli.js";
import { assertPromtoolAccepts } from "../../helpers/promtool.js";
import { DAY, installCertificate, sampleValue, startMetricsWorld } from "./metrics-world.js";

let f: RolesAnywhereFixture;
before(async () => {
  f = await createRolesAnywhereFixture();
});
after(() => f?.close());

const outcomeSeries = (outcome: string) => `certcreds_refreshes_total{outcome="${outcome}"}`;

describe("GET /metrics", () => {
  test("passes promtool check metrics before and after the first credentials, every outcome present from the start", async () => {
    const w = await startMetricsWorld(f);
    try {
      const fresh = await w.scrape();
      await assertPromtoolAccepts(fresh, "the exposition before any credentials");
      for (const outcome of REFRESH_OUTCOMES) assert.equal(sampleValue(fresh, outcomeSeries(outcome)), 0, `${outcome} at 0 from the start`);
      assert.equal(sampleValue(fresh, "certcreds_credentials_valid"), 0);
      assert.equal(sampleValue(fresh, "certcreds_credentials_expiration_timestamp_seconds"), undefined, "no expiration before the first credentials");

      assert.equal((await w.credentials()).status, 200);
      const body = await w.scrape();
      await assertPromtoolAccepts(body, "the exposition with credentials");
      assert.equal(sampleValue(body, outcomeSeries("success")), 1);
      assert.equal(sampleValue(body, "certcreds_credentials_valid"), 1);
      assert.equal(sampleValue(body, "certcreds_credentials_expiration_timestamp_seconds"), w.session.expiration!.getTime() / 1000);
      const remaining = sampleValue(body, "certcreds_credentials_remaining_seconds")!;
      assert.ok(remaining > 3500 && remaining <= 3600, `about an hour left: ${remaining}`);
      assert.equal(sampleValue(body, "certcreds_last_refresh_success_timestamp_seconds"), w.session.lastSuccess!.getTime() / 1000);
      assert.equal(sampleValue(body, "certcreds_refresh_duration_seconds_count"), 1);
      assert.equal(sampleValue(body, 'certcreds_refresh_duration_seconds_bucket{le="30"}'), 1);
      assert.equal(sampleValue(body, 'certcreds_build_info{version="0.0.0-test"}'), 1);
      const leaf = `role="leaf",index="0",subject="CN=cli-device",serial="${f.device.certificate.serialNumber}"`;
      const intermediate = `role="intermediate",index="1",subject="CN=CLI test issuing CA",serial="${f.issuing.certificate.serialNumber}"`;
      assert.equal(sampleValue(body, `certcreds_certificate_not_after_timestamp_seconds{${leaf}}`), Date.parse(f.device.certificate.validTo) / 1000);
      assert.equal(sampleValue(body, `certcreds_certificate_not_after_timestamp_seconds{${intermediate}}`), Date.parse(f.issuing.certificate.validTo) / 1000);
      // The fixture's certificates live 90 days: outside the 30-day threshold (the 2-day case is its own test).
      assert.equal(sampleValue(body, `certcreds_certificate_expiring{${leaf}}`), 0);
      assert.equal(sampleValue(body, `certcreds_certificate_expiring{${intermediate}}`), 0);
    } finally {
      await w.close();
    }
  });

  test("every metric is documented in docs/observability.md with its type", async () => {
    const w = await startMetricsWorld(f);
    try {
      await w.credentials();
      const doc = await readFile(join(ROOT, "docs", "observability.md"), "utf8");
      const families = [...(await w.scrape()).matchAll(/^# TYPE (\S+) (\S+)$/gm)];
      assert.ok(families.length >= 12, `${families.length} families`);
      for (const [, name, type] of families) assert.match(doc, new RegExp(`\\| \`${name}\` \\| ${type} \\|`), `${name} (${type}) in the docs' table`);
    } finally {
      await w.close();
    }
  });

  test("a refresh failure is counted under its outcome while the valid credentials keep being served", async () => {
    const w = await startMetricsWorld(f);
    try {
      assert.equal((await w.credentials()).status, 200);
      const faults: [string, Parameters<typeof f.ra.inject>[0]][] = [
        ["throttled", { status: 429, errorType: "ThrottlingException", message: "Rate exceeded" }],
        ["server_error", { status: 500, errorType: "InternalServerException", message: "upstream broke" }],
        ["client_error", { status: 403, errorType: "AccessDeniedException", message: "not allowed" }],
        ["network", { resetConnection: true }],
      ];
      const counted: Record<string, number> = { success: 1, throttled: 0, client_error: 0, server_error: 0, network: 0 };
      for (const [outcome, fault] of faults) {
        f.ra.inject(fault);
        await assert.rejects(w.session.getCredentials({ forceRefresh: true }));
        counted[outcome]!++;
        const body = await w.scrape();
        await assertPromtoolAccepts(body, `the exposition after a ${outcome} failure`);
        for (const name of REFRESH_OUTCOMES) assert.equal(sampleValue(body, outcomeSeries(name)), counted[name], `${name} after a ${outcome} failure`);
        assert.equal(sampleValue(body, "certcreds_credentials_valid"), 1, "the credentials held are still valid");
        assert.equal((await w.credentials()).status, 200, "and still served");
      }
      const body = await w.scrape();
      assert.equal(sampleValue(body, "certcreds_refresh_duration_seconds_count"), 5, "each refresh's duration, failures too");
      assert.equal(sampleValue(body, "certcreds_upstream_calls_saved_total"), 0);
    } finally {
      f.ra.clearFaults();
      await w.close();
    }
  });

  test("requests are counted by endpoint and status", async () => {
    const w = await startMetricsWorld(f);
    try {
      const port = w.port;
      const token = await http(`${w.base}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
      assert.equal(token.status, 200);
      assert.equal((await http(`${w.base}/latest/api/token`, { method: "PUT" })).status, 400);
      assert.equal((await w.get("/latest/meta-data/iam/security-credentials/", { "x-aws-ec2-metadata-token": token.body })).status, 200);
      assert.equal((await w.get("/latest/meta-data/iam/security-credentials/cli-role", { "x-aws-ec2-metadata-token": token.body })).status, 200);
      assert.equal((await w.get("/latest/meta-data/iam/security-credentials/cli-role")).status, 401);
      assert.equal((await w.credentials()).status, 200);
      assert.equal((await w.credentials()).status, 200);
      assert.equal((await w.get("/credentials")).status, 401);
      assert.equal((await w.get("/healthz")).status, 200);
      assert.equal((await w.get("/latest/user-data")).status, 404);
      assert.equal((await w.get("/metrics", { Host: `attacker.example:${port}` })).status, 403);
      await w.scrape();
      const body = await w.scrape();
      await assertPromtoolAccepts(body);
      const expected: [string, string, number][] = [
        ["imds_token", "200", 1],
        ["imds_token", "400", 1],
        ["imds_credentials", "200", 2],
        ["imds_credentials", "401", 1],
        ["container", "200", 2],
        ["container", "401", 1],
        ["healthz", "200", 1],
        ["other", "404", 1],
        ["metrics", "403", 1],
        ["metrics", "200", 1],
      ];
      for (const [endpoint, status, count] of expected) {
        assert.equal(sampleValue(body, `certcreds_http_requests_total{endpoint="${endpoint}",status="${status}"}`), count, `${endpoint} ${status}`);
      }
      assert.equal([...body.matchAll(/^certcreds_http_requests_total\{/gm)].length, expected.length, "no other series");
    } finally {
      await w.close();
    }
  });

  test("single flight: clients that joined the one fetch under way are counted as upstream calls saved", async () => {
    const w = await startMetricsWorld(f);
    try {
      const before = f.ra.createSessionCount;
      f.ra.inject({ delayMs: 1_500 });
      const answers = await Promise.all(Array.from({ length: 20 }, () => w.credentials()));
      assert.ok(answers.every((answer) => answer.status === 200));
      assert.equal(f.ra.createSessionCount - before, 1, "one upstream call for 20 clients");
      const body = await w.scrape();
      await assertPromtoolAccepts(body);
      assert.equal(sampleValue(body, "certcreds_upstream_calls_saved_total"), 19);
      assert.equal(sampleValue(body, outcomeSeries("success")), 1);
      assert.equal(sampleValue(body, 'certcreds_http_requests_total{endpoint="container",status="200"}'), 20);
    } finally {
      f.ra.clearFaults();
      await w.close();
    }
  });

  test("/metrics is behind the Host check and the same limits; it shows no key id, secret or token", async () => {
    const w = await startMetricsWorld(f);
    try {
      const held = JSON.parse((await w.credentials()).body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
      const port = w.port;
      for (const host of [`attacker.example:${port}`, "attacker.example", `192.0.2.1:${port}`]) {
        const refused = await w.get("/metrics", { Host: host });
        assert.equal(refused.status, 403, `Host ${host}`);
        assert.doesNotMatch(refused.body, /certcreds_/);
      }
      assert.equal((await w.get("/metrics", { Host: `localhost:${port}` })).status, 200);
      assert.equal((await http(`${w.base}/metrics`, { method: "PUT" })).status, 405);
      assert.equal((await http(`${w.base}/metrics`, { method: "GET", headers: { "Content-Length": "5" }, body: "hello" })).status, 413);
      const many = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`x-h${i}`, "1"]));
      assert.equal((await w.get("/metrics", many)).status, 431);
      const body = await w.scrape();
      for (const secret of [held.AccessKeyId, held.SecretAccessKey, held.Token, held.Token.slice(10, 40)]) {
        assert.ok(!body.includes(secret), "no credential field in /metrics");
      }
      assert.ok(!body.includes(f.device.privateKeyPem.split("\n")[1]!));
    } finally {
      await w.close();
    }
  });
});

describe("certificates in /metrics and /healthz", () => {
  test("hostile subjects (quote, backslash, line break, braces) are escaped: promtool accepts the exposition, the labels read back as the subjects", async () => {
    const hostile = 'Evil "CA" \\ {x="1"} \n# TYPE fake counter';
    const issuer = await f.root.createIntermediate({ commonName: `${hostile} issuing` });
    await installCertificate(f, { commonName: `device "one"\\back\\slash\nx 1\r\u0007é` }, issuer);
    const w = await startMetricsWorld(f);
    try {
      assert.equal((await w.credentials()).status, 200, "the emulator accepts the chain");
      const body = await w.scrape();
      await assertPromtoolAccepts(body, "an exposition with hostile certificate subjects");
      for (const line of body.trimEnd().split("\n")) assert.match(line, /^(# (HELP|TYPE) )?certcreds_/, `every line is a metric's: ${line}`);
      const readBack = (value: string) => value.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
      const subjects = [...body.matchAll(/^certcreds_certificate_not_after_timestamp_seconds\{.*?subject="((?:[^"\\]|\\.)*)"/gm)].map((m) => readBack(m[1]!));
      assert.deepEqual(
        subjects,
        w.session.certificates().map((c) => c.subject),
      );
      assert.ok(subjects[0]!.includes('"') && subjects[0]!.includes("\\"), `the subject carries a quote and a backslash: ${subjects[0]}`);
    } finally {
      await w.close();
    }
  });

  test("a certificate expiring in 2 days shows in /healthz and /metrics; renewed on disk, it is cleared at the next refresh", async () => {
    const issuer = await f.root.createIntermediate({ commonName: "CLI test issuing CA", notAfter: new Date(Date.now() + 3650 * DAY) });
    const expiring = await installCertificate(f, { notAfter: new Date(Date.now() + 2 * DAY + 3_600_000) }, issuer);
    const w = await startMetricsWorld(f);
    try {
      assert.equal((await w.credentials()).status, 200);
      const health = await w.get("/healthz");
      assert.equal(health.status, 200, "a warning, not a failure: the credentials are valid");
      const json = JSON.parse(health.body);
      assert.equal(json.status, "ok");
      assert.equal(json.warnings.length, 1);
      assert.deepEqual(
        { ...json.warnings[0], message: undefined },
        {
          certificate: "leaf",
          index: 0,
          subject: "CN=cli-device",
          serial: expiring.certificate.serialNumber,
          notAfter: new Date(expiring.certificate.validTo).toISOString().replace(/\.\d{3}Z$/, "Z"),
          daysLeft: 2,
          message: undefined,
        },
      );
      assert.match(json.warnings[0].message, /certificate "CN=cli-device" .* in 2 days: renew it/);
      const leaf = `role="leaf",index="0",subject="CN=cli-device",serial="${expiring.certificate.serialNumber}"`;
      const body = await w.scrape();
      await assertPromtoolAccepts(body);
      assert.equal(sampleValue(body, `certcreds_certificate_expiring{${leaf}}`), 1);
      assert.equal(sampleValue(body, `certcreds_certificate_not_after_timestamp_seconds{${leaf}}`), Date.parse(expiring.certificate.validTo) / 1000);
      assert.match(body, /^certcreds_certificate_expiring\{role="intermediate",index="1",.*\} 0$/m, "the issuing CA has ten years");

      const renewed = await installCertificate(f, { notAfter: new Date(Date.now() + 365 * DAY) }, issuer);
      assert.equal(JSON.parse((await w.get("/healthz")).body).warnings.length, 1, "until the next refresh, the certificate in use is the old one");
      await w.session.getCredentials({ forceRefresh: true });
      const cleared = JSON.parse((await w.get("/healthz")).body);
      assert.deepEqual(cleared.warnings, [], "the renewed certificate clears the warning");
      const after = await w.scrape();
      await assertPromtoolAccepts(after);
      const renewedLeaf = `role="leaf",index="0",subject="CN=cli-device",serial="${renewed.certificate.serialNumber}"`;
      assert.equal(sampleValue(after, `certcreds_certificate_expiring{${renewedLeaf}}`), 0);
      assert.equal(sampleValue(after, `certcreds_certificate_expiring{${leaf}}`), undefined, "the old certificate's series is gone");
      assert.doesNotMatch(after, /^certcreds_certificate_expiring\{.*\} 1$/m);
    } finally {
      await w.close();
    }
  });
});
