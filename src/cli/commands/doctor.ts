import { lookup } from "node:dns/promises";
import { certificatesOf } from "../../identity/certificate-info.js";
import type { Identity } from "../../identity/identity-init.js";
import { openIdentity } from "../../identity/open-identity.js";
import { checkIotOptions } from "../../mechanisms/iot/options.js";
import { checkRolesAnywhereOptions } from "../../mechanisms/roles-anywhere/options.js";
import { rfc3339 } from "../../surfaces/credential-process/rfc3339.js";
import { identityInit } from "../config/key-inputs.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { openSession, sessionInit } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { RA_EXAMPLE } from "../output/examples.js";
import { inFlagTerms } from "../output/report-error.js";
import type { CommandDoc } from "../output/help.js";
import { daysLeftReport, warningDays } from "../output/expiry-warnings.js";
import { stderrLogger } from "../output/stderr-logger.js";

export const doc: CommandDoc = {
  usage: "certcreds doctor [options]",
  description:
    "Checks each input offline — files readable, PEM parses, key type supported, key matches the certificate, validity dates, chain order, days left for the certificate and each intermediate, ARN shapes and regions, endpoint host resolves — then makes one real call and explains the answer. " +
    "Every failed check says what to do; a certificate inside --expiry-warning-days (default 30) is a warning (!), which does not fail the run. Exit code 0 only when every check passed.",
  examples: [`certcreds doctor ${RA_EXAMPLE}`, "certcreds doctor --profile-name device"],
};

type Outcome = { status: "pass" | "fail" | "skip" | "warn"; detail: string };

/** A warning (`!`) is worth acting on but does not fail the run: the credentials still come. */
const MARK = { pass: "✔", fail: "✘", skip: "–", warn: "!" } as const;

/** Runs checks in order, prints each, and remembers whether all passed. */
class Report {
  passed = true;
  warned = false;
  line(outcome: Outcome, title: string): void {
    if (outcome.status === "fail") this.passed = false;
    if (outcome.status === "warn") this.warned = true;
    process.stdout.write(`  ${MARK[outcome.status]} ${title}: ${outcome.detail.replace(/\s*\n\s*/g, " ")}\n`);
  }
  /** Prints a step the library ran and reported. */
  record(check: { title: string; status: Outcome["status"]; detail: string; error?: unknown }): void {
    this.line({ status: check.status, detail: check.error === undefined ? check.detail : inFlagTerms(check.error, check.detail) }, check.title);
  }
  /** Runs a check; a thrown error is a failure whose message (from the library) says what to do. */
  async check<T>(
    title: string,
    run: () => Promise<{ value: T; detail: string }> | { value: T; detail: string },
    options: { quietPass?: boolean } = {},
  ): Promise<T | undefined> {
    try {
      const { value, detail } = await run();
      if (!options.quietPass) this.line({ status: "pass", detail }, title);
      return value;
    } catch (error) {
      this.line({ status: "fail", detail: inFlagTerms(error, (error as Error).message ?? String(error)) }, title);
      return undefined;
    }
  }
  skip(title: string, why: string): void {
    this.line({ status: "skip", detail: why }, title);
  }
}

/**
 * The offline checks of the certificate, chain and key: the very steps the
 * key source and the library run before each call (`openIdentity().checks()`),
 * so every key source — files, a token — is covered the same way.
 */
async function checkIdentity(report: Report, settings: Settings, now: Date, mechanism: Mechanism): Promise<void> {
  if (settings.string("certificate") === undefined) {
    await report.check("certificate", () => {
      throw new Error("--certificate is not set: pass the certificate file (or set CERTCREDS_CERTIFICATE or certificate in a profile).");
    });
    return;
  }
  const init = await report.check(
    "key source",
    async () => {
      const value = await identityInit(settings);
      return { value, detail: "" };
    },
    { quietPass: true },
  );
  if (!init) return;
  const identity = openIdentity(init, { logger: stderrLogger(false), mutualTls: mechanism === "iot" });
  try {
    const checks = await identity.checks(now);
    for (const check of checks) report.record(check);
    if (checks.every((check) => check.status === "pass")) await checkExpiry(report, settings, () => identity.load(now), now);
  } finally {
    await identity.close();
  }
}

/** Days left for the leaf and each intermediate, as loaded for a call; those inside --expiry-warning-days flagged. */
async function checkExpiry(report: Report, settings: Settings, load: () => Promise<Identity>, now: Date): Promise<void> {
  const found = await report.check(
    "certificate expiry",
    async () => {
      const days = daysLeftReport(certificatesOf(await load()), warningDays(settings), now.getTime());
      return { value: days, detail: days.detail };
    },
    { quietPass: true },
  );
  if (found) report.line({ status: found.expiring ? "warn" : "pass", detail: found.detail }, "certificate expiry");
}

/** ARN shapes, regions and endpoint; returns the endpoint URL when the options are valid. */
async function checkOptions(report: Report, settings: Settings, mechanism: Mechanism): Promise<URL | undefined> {
  return report.check(mechanism === "iot" ? "IoT options" : "ARNs and region", async () => {
    const init = await sessionInit(settings, mechanism, { logger: stderrLogger(false) });
    if (mechanism === "rolesanywhere") {
      const checked = checkRolesAnywhereOptions(init as Parameters<typeof checkRolesAnywhereOptions>[0]);
      return { value: checked.url, detail: `region ${checked.region}, account ${checked.accountId}, endpoint ${checked.url.origin}` };
    }
    const checked = checkIotOptions(init as Parameters<typeof checkIotOptions>[0]);
    return { value: checked.endpoint, detail: `endpoint ${checked.endpoint.origin}${checked.region ? `, region ${checked.region}` : ""}` };
  });
}

/**
 * `certcreds doctor`: every input checked offline with the library's own
 * checks, then one real call whose answer is explained. Exit 0 only when
 * every check passed.
 */
export async function run(settings: Settings): Promise<number> {
  const mechanism = selectMechanism(settings);
  const now = new Date();
  const report = new Report();
  process.stdout.write(`certcreds doctor — ${mechanism === "iot" ? "AWS IoT credential provider" : "IAM Roles Anywhere"}\n`);
  await checkIdentity(report, settings, now, mechanism);
  const endpoint = await checkOptions(report, settings, mechanism);
  let resolved = false;
  if (endpoint) {
    const host = endpoint.hostname.replace(/^\[|\]$/g, "");
    resolved =
      (await report.check("endpoint host resolves", async () => {
        try {
          const { address } = await lookup(host);
          return { value: true, detail: `${host} → ${address}` };
        } catch (error) {
          throw new Error(
            `${host} does not resolve (${(error as NodeJS.ErrnoException).code}): check --endpoint and --region, this machine's DNS, or pass --with-proxy if only a proxy can reach AWS.`,
          );
        }
      })) === true;
  } else {
    report.skip("endpoint host resolves", "needs valid options (fix the failures above)");
  }
  if (!report.passed || !resolved) {
    report.skip("real call", "fix the failures above first");
  } else {
    await report.check(mechanism === "iot" ? "credentials from AWS IoT" : "CreateSession", async () => {
      // The "certificate expiry" step above already reported the certificates: the real call does not warn again.
      const session = await openSession(settings, mechanism, {
        logger: stderrLogger(settings.boolean("debug"), { quietWarnings: true }),
        expiryWarningDays: 0,
      });
      try {
        const credentials = await session.getCredentials();
        const left = Math.round((credentials.expiration.getTime() - Date.now()) / 60_000);
        return {
          value: true,
          detail: `got credentials ${credentials.accessKeyId}${credentials.accountId ? ` of account ${credentials.accountId}` : ""}, valid until ${rfc3339(credentials.expiration)} (${left} min)`,
        };
      } finally {
        await session.close();
      }
    });
  }
  const verdict = report.passed
    ? `All checks passed${report.warned ? "; act on the warnings (!) above" : ""}.\n`
    : "Some checks failed: fix them in the order shown, then run certcreds doctor again.\n";
  process.stdout.write(verdict);
  return report.passed ? 0 : 1;
}
