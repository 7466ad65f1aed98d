import type { KeyObject, X509Certificate } from "node:crypto";
import { lookup } from "node:dns/promises";
import { assertValidAt, describeCertificate, orderChain, parseCertificates } from "../../identity/certificate.js";
import { readMaterial } from "../../identity/material.js";
import { assertKeyMatchesCertificate, assertSupportedKey, parsePemKeyBlock, parsePrivateKey } from "../../identity/sources/file/private-key.js";
import { checkIotOptions } from "../../mechanisms/iot/options.js";
import { validateRolesAnywhereOptions } from "../../mechanisms/roles-anywhere/options.js";
import { rfc3339 } from "../../surfaces/credential-process/rfc3339.js";
import type { FlagName } from "../config/flags.js";
import { MISSING_KEY, materialFrom, offlineChecksSkipped } from "../config/key-inputs.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { openSession, sessionInit } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { stderrLogger } from "../output/stderr-logger.js";

export const doc: CommandDoc = {
  usage: "certcreds doctor [options]",
  description:
    "Checks each input offline — files readable, PEM parses, key type supported, key matches the certificate, validity dates, chain order, ARN shapes and regions, endpoint host resolves — then makes one real call and explains the answer. " +
    "Every failed check says what to do. Exit code 0 only when every check passed.",
  examples: [`certcreds doctor ${RA_EXAMPLE}`, "certcreds doctor --profile-name device"],
};

type Outcome = { status: "pass"; detail: string } | { status: "fail"; detail: string } | { status: "skip"; detail: string };

const MARK = { pass: "✔", fail: "✘", skip: "–" } as const;
const DAY = 86_400_000;

/** Runs checks in order, prints each, and remembers whether all passed. */
class Report {
  passed = true;
  private line(outcome: Outcome, title: string): void {
    if (outcome.status === "fail") this.passed = false;
    process.stdout.write(`  ${MARK[outcome.status]} ${title}: ${outcome.detail.replace(/\s*\n\s*/g, " ")}\n`);
  }
  /** Runs a check; a thrown error is a failure whose message (from the library) says what to do. */
  async check<T>(title: string, run: () => Promise<{ value: T; detail: string }> | { value: T; detail: string }): Promise<T | undefined> {
    try {
      const { value, detail } = await run();
      this.line({ status: "pass", detail }, title);
      return value;
    } catch (error) {
      this.line({ status: "fail", detail: (error as Error).message ?? String(error) }, title);
      return undefined;
    }
  }
  skip(title: string, why: string): void {
    this.line({ status: "skip", detail: why }, title);
  }
}

async function readCertificates(settings: Settings, name: FlagName, option: string) {
  const input = await materialFrom(settings, name);
  if (input === undefined) return undefined;
  const material = await readMaterial(input, option);
  return { material, parsed: parseCertificates(material, option) };
}

function keyDescription(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return key.asymmetricKeyType === "rsa" ? `RSA ${details?.modulusLength} bits` : `EC ${details?.namedCurve}`;
}

/** The offline checks of the certificate, chain and key; returns whether the identity is usable. */
async function checkIdentity(report: Report, settings: Settings, now: Date): Promise<void> {
  const certificateValue = settings.string("certificate");
  if (certificateValue === undefined) {
    await report.check("certificate", () => {
      throw new Error("--certificate is not set: pass the certificate file (or set CERTCREDS_CERTIFICATE or certificate in a profile).");
    });
    return;
  }
  const skipped = offlineChecksSkipped(settings);
  if (skipped !== undefined) {
    report.skip("certificate and key", skipped);
    return;
  }
  const cert = await report.check("certificate readable and parses", async () => {
    const result = (await readCertificates(settings, "certificate", "certificate"))!;
    const [leaf] = result.parsed.certificates;
    return { value: result, detail: `${result.material.label}: ${describeCertificate(leaf!)}, ${keyDescription(leaf!.publicKey)}` };
  });
  const chain = settings.has("intermediates")
    ? await report.check("intermediates readable and parse", async () => {
        const result = (await readCertificates(settings, "intermediates", "certificateChain"))!;
        return { value: result.parsed.certificates, detail: `${result.material.label}: ${result.parsed.certificates.length} certificate(s)` };
      })
    : [];
  const key = await report.check("private key readable and parses", async () => {
    const input = await materialFrom(settings, "private-key");
    const passphrase = settings.string("pkcs8-password");
    if (input !== undefined) {
      const material = await readMaterial(input, "privateKey");
      const parsed = parsePrivateKey(material, passphrase);
      return { value: parsed, detail: `${material.label}: ${keyDescription(parsed)}` };
    }
    const block = cert?.parsed.keyBlocks[0];
    if (!block) throw new Error(MISSING_KEY);
    const parsed = parsePemKeyBlock(block, `private key in ${cert!.material.label}`, passphrase, "certificate");
    return { value: parsed, detail: `in ${cert!.material.label}: ${keyDescription(parsed)}` };
  });
  const leaf: X509Certificate | undefined = cert?.parsed.certificates[0];
  if (!leaf || !key) {
    report.skip("key type, key match, validity, chain", "need a readable certificate and key (fix the failures above)");
    return;
  }
  await report.check("key type supported", () => {
    assertSupportedKey(key, "the private key");
    assertSupportedKey(leaf.publicKey, "the certificate's public key", "certificate");
    return { value: true, detail: keyDescription(key) };
  });
  await report.check("key matches certificate", () => {
    assertKeyMatchesCertificate(key, leaf, "the private key");
    return { value: true, detail: "the private key is the certificate's" };
  });
  await report.check("certificate validity", () => {
    assertValidAt(leaf, now, "certificate");
    const left = new Date(leaf.validTo).getTime() - now.getTime();
    const soon = left < 7 * DAY ? ` — expires in ${Math.max(0, Math.floor(left / 3_600_000))} h: renew it soon` : "";
    return { value: true, detail: `valid from ${rfc3339(new Date(leaf.validFrom))} to ${rfc3339(new Date(leaf.validTo))}${soon}` };
  });
  if (chain) {
    await report.check("certificate chain order", () => {
      const bundled = cert!.parsed.certificates.slice(1);
      const ordered = orderChain(leaf, [...bundled, ...chain], now);
      return {
        value: true,
        detail: ordered.length ? `${ordered.length} intermediate(s) link the certificate to "${ordered.at(-1)!.issuer.replace(/\n/g, ", ")}"` : "no intermediates (the trust anchor must have issued the certificate)",
      };
    });
  }
}

/** ARN shapes, regions and endpoint; returns the endpoint URL when the options are valid. */
async function checkOptions(report: Report, settings: Settings, mechanism: Mechanism): Promise<URL | undefined> {
  return report.check(mechanism === "iot" ? "IoT options" : "ARNs and region", async () => {
    const init = await sessionInit(settings, mechanism, { logger: stderrLogger(false) });
    if (mechanism === "rolesanywhere") {
      const checked = validateRolesAnywhereOptions(init as Parameters<typeof validateRolesAnywhereOptions>[0]);
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
  await checkIdentity(report, settings, now);
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
      const session = await openSession(settings, mechanism, { logger: stderrLogger(settings.boolean("debug"), { quietWarnings: true }) });
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
  process.stdout.write(report.passed ? "All checks passed.\n" : "Some checks failed: fix them in the order shown, then run certcreds doctor again.\n");
  return report.passed ? 0 : 1;
}
