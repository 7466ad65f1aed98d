/**
 * `certcreds serve`'s /metrics and /healthz as a user runs it, with a device
 * certificate that expires in 2 days: the real promtool accepts the
 * exposition, the warning shows on both, --expiry-warning-days reaches them,
 * the Host check applies.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { VERSION } from "../../../src/core/version.js";
import { createRolesAnywhereFixture, http, type RolesAnywhereFixture, requireBuild, type Served, startServe } from "../../helpers/cli.js";
import { assertPromtoolAccepts } from "../../helpers/promtool.js";
import type { TestCertificate } from "../../../testing/index.js";

const DAY = 86_400_000;

let f: RolesAnywhereFixture;
let device: TestCertificate;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  // An issuing CA with years left and a device certificate 2 days (and an hour) from its end.
  const issuing = await f.root.createIntermediate({ commonName: "CLI test issuing CA", notAfter: new Date(Date.now() + 3650 * DAY) });
  device = await issuing.issue({
    commonName: "cli-device",
    publicKey: createPublicKey(f.device.privateKey!),
    notAfter: new Date(Date.now() + 2 * DAY + 3_600_000),
  });
  await writeFile(f.certFile, device.certificatePem);
  await writeFile(f.chainFile, issuing.certificatePem);
});
after(() => f?.close());

const line = (body: string, pattern: RegExp) => body.split("\n").find((l) => pattern.test(l));

describe("serve: GET /metrics and the expiry warning", () => {
  let served: Served;
  before(async () => {
    served = await startServe(f.args, { env: f.env });
  });
  after(() => served?.cli.stop());

  test("/metrics passes promtool check metrics and shows the first refresh, the credentials and the certificate 2 days from its end", async () => {
    await http(`${served.imdsEndpoint}/healthz`);
    const answer = await http(`${served.imdsEndpoint}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    await assertPromtoolAccepts(answer.body, "serve's /metrics");
    const body = answer.body;
    assert.ok(line(body, new RegExp(`^certcreds_build_info\\{version="${VERSION.replace(/\./g, "\\.")}"\\} 1$`)));
    assert.ok(line(body, /^certcreds_refreshes_total\{outcome="success"\} 1$/), "serve's session reports to the metrics");
    assert.ok(line(body, /^certcreds_refreshes_total\{outcome="throttled"\} 0$/));
    assert.ok(line(body, /^certcreds_credentials_valid 1$/));
    assert.ok(line(body, /^certcreds_http_requests_total\{endpoint="healthz",status="200"\} 1$/));
    const leaf = `role="leaf",index="0",subject="CN=cli-device",serial="${device.certificate.serialNumber}"`;
    assert.ok(line(body, new RegExp(`^certcreds_certificate_expiring\\{${leaf}\\} 1$`)), `the leaf expiring:\n${body}`);
    assert.ok(line(body, /^certcreds_certificate_expiring\{role="intermediate",index="1",subject="CN=CLI test issuing CA",.*\} 0$/));
    assert.ok(line(body, new RegExp(`^certcreds_certificate_not_after_timestamp_seconds\\{${leaf}\\} ${Date.parse(device.certificate.validTo) / 1000}$`)));
  });

  test("/healthz stays 200 and lists the certificate with its days left", async () => {
    const health = await http(`${served.imdsEndpoint}/healthz`);
    assert.equal(health.status, 200);
    const json = JSON.parse(health.body);
    assert.deepEqual(Object.keys(json), ["status", "expiration", "warnings"]);
    assert.equal(json.status, "ok");
    assert.equal(json.warnings.length, 1);
    assert.equal(json.warnings[0].certificate, "leaf");
    assert.equal(json.warnings[0].serial, device.certificate.serialNumber);
    assert.equal(json.warnings[0].daysLeft, 2);
    assert.match(served.cli.stderr(), /expires at .* in 2 days: renew it/, "and the log says it too");
  });

  test("/metrics refuses a foreign Host (DNS rebinding), as the credential paths do", async () => {
    const port = new URL(served.imdsEndpoint).port;
    const refused = await http(`${served.imdsEndpoint}/metrics`, { headers: { Host: `attacker.example:${port}` } });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.body, /certcreds_/);
    assert.equal((await http(`${served.imdsEndpoint}/metrics`, { headers: { Host: `localhost:${port}` } })).status, 200);
  });
});

test("serve --expiry-warning-days 1: the certificate with 2 days left is no warning on /metrics or /healthz", async () => {
  const served = await startServe([...f.args, "--expiry-warning-days", "1"], { env: f.env });
  try {
    const body = (await http(`${served.imdsEndpoint}/metrics`)).body;
    await assertPromtoolAccepts(body);
    assert.ok(line(body, /^certcreds_certificate_expiring\{role="leaf",.*\} 0$/), body);
    assert.deepEqual(JSON.parse((await http(`${served.imdsEndpoint}/healthz`)).body).warnings, []);
  } finally {
    await served.cli.stop();
  }
});
