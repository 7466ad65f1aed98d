/**
 * docs/observability.md's Prometheus blocks, checked by the real promtool:
 * the scrape configuration (`promtool check config`), the alert rules
 * (`promtool check rules`) and what they do (`promtool test rules`: a
 * certificate two days from its end alerts, one with 60 days does not).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../helpers/cli.js";
import { runPromtool } from "../helpers/promtool.js";
import { readBlocks } from "./markdown-blocks.js";

const blocks = readBlocks(join(ROOT, "docs", "observability.md"), "docs/observability.md").filter((block) => block.lang === "yaml");
const RULES = blocks.find((block) => block.code.includes("groups:"));
const SCRAPE = blocks.find((block) => block.code.includes("scrape_configs:"));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certcreds-observability-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function promtoolOk(args: string[]): Promise<string> {
  const result = await runPromtool(args);
  assert.equal(result.code, 0, `promtool ${args.join(" ")}: ${result.output}`);
  return result.output;
}

test("the scrape configuration passes promtool check config", async () => {
  assert.ok(SCRAPE, "a yaml block with scrape_configs");
  await writeFile(join(dir, "prometheus.yml"), SCRAPE.code);
  assert.match(await promtoolOk(["check", "config", join(dir, "prometheus.yml")]), /SUCCESS/);
});

test("the alert rules pass promtool check rules, and alert on a certificate 2 days from its end only", async () => {
  assert.ok(RULES, "a yaml block with groups:");
  await writeFile(join(dir, "rules.yml"), RULES.code);
  assert.match(await promtoolOk(["check", "rules", join(dir, "rules.yml")]), /SUCCESS: 4 rules found/);

  const leaf = (instance: string, serial: string) => `instance="${instance}",role="leaf",index="0",subject="CN=${instance}",serial="${serial}"`;
  const labels = (instance: string, serial: string) => `{ instance: ${instance}, role: leaf, index: "0", subject: "CN=${instance}", serial: "${serial}" }`;
  // Time 0 of the test is the Unix epoch: device-1's certificate ends 2 days after, device-2's 60 days after.
  const tests = `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'certcreds_certificate_expiring{${leaf("device-1", "01")}}'
        values: '1+0x180'
      - series: 'certcreds_certificate_expiring{${leaf("device-2", "02")}}'
        values: '0+0x180'
      - series: 'certcreds_certificate_not_after_timestamp_seconds{${leaf("device-1", "01")}}'
        values: '172800+0x180'
      - series: 'certcreds_certificate_not_after_timestamp_seconds{${leaf("device-2", "02")}}'
        values: '5184000+0x180'
      - series: 'certcreds_credentials_valid{instance="device-1"}'
        values: '1+0x180'
      - series: 'certcreds_credentials_valid{instance="device-2"}'
        values: '0+0x180'
      - series: 'certcreds_credentials_remaining_seconds{instance="device-1"}'
        values: '3000+0x180'
    alert_rule_test:
      - eval_time: 1h
        alertname: CertcredsCertificateExpiring
        exp_alerts:
          - exp_labels: ${labels("device-1", "01").replace("{ ", "{ severity: warning, ")}
            exp_annotations:
              summary: "device-1: the leaf certificate CN=device-1 (serial 01) expires within the warning threshold"
      - eval_time: 1h
        alertname: CertcredsCertificateExpiresWithin7Days
        exp_alerts:
          - exp_labels: ${labels("device-1", "01").replace("{ ", "{ severity: critical, ")}
            exp_annotations:
              summary: "device-1: the leaf certificate CN=device-1 expires in 1d 23h 0m 0s"
      - eval_time: 1h
        alertname: CertcredsNoValidCredentials
        exp_alerts:
          - exp_labels: { severity: critical, instance: device-2 }
            exp_annotations:
              summary: "device-2: certcreds serve holds no valid credentials"
      - eval_time: 1h
        alertname: CertcredsCredentialsNotRenewed
        exp_alerts: []
`;
  await writeFile(join(dir, "rules.test.yml"), tests);
  assert.match(await promtoolOk(["test", "rules", join(dir, "rules.test.yml")]), /SUCCESS/);
});
