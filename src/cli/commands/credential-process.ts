import { type ProcessCredentials, processOutput, toProcessCredentials } from "../../surfaces/credential-process/process-credentials.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { openSession } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { ensurePrivateDirectory } from "../fs/private-directory.js";
import { cacheDirectory, cacheFile, readCacheEntry } from "../fs/cache-read.js";
import { freshEntry, lockEntry, writeEntry } from "../fs/cache-write.js";
import { IOT_EXAMPLE, RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { cliLine, stderrLogger } from "../output/stderr-logger.js";
import { cachedAnswer } from "../fs/cached-answer.js";
import { expiryFile } from "../fs/cache-expiry.js";
import { dueAcrossRuns, type KnownCertificates } from "../fs/cache-reminder.js";
import { warnExpiring, warningDays } from "../output/expiry-warnings.js";

export const doc: CommandDoc = {
  usage: "certcreds credential-process [options]",
  description:
    "Prints exactly one JSON object on standard output — Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration (RFC 3339 UTC), AccountId when known — and nothing else. " +
    "Credentials are cached per user and per configuration (directory 0700, files 0600) and reused while more than the refresh window (15 minutes, or a third of a short lifetime) remains; " +
    "concurrent invocations share one call through a lock file. Errors go to standard error with a non-zero exit code. " +
    "A certificate or intermediate within --expiry-warning-days (default 30) of its end is warned about on standard error at first sight, then daily and at 7 and 1 days (the reminder is kept beside the cache entry; with --no-cache, at every run).",
  examples: [
    `# ~/.aws/config\n[profile device]\ncredential_process = certcreds credential-process ${RA_EXAMPLE}`,
    `# with the options in ~/.config/certcreds/config, section [device]:\ncredential_process = certcreds credential-process --profile-name device`,
    `# AWS IoT\ncredential_process = certcreds credential-process ${IOT_EXAMPLE}`,
    `# key from a variable, never on disk\nDEVICE_KEY="$(vault kv get -field=key secret/device)" certcreds credential-process --private-key env:DEVICE_KEY ...`,
  ],
};

/** What a fetch returns: the answer, and the certificates and mechanism it was obtained with (for the expiry reminder). */
interface Fetched extends KnownCertificates {
  credentials: ProcessCredentials;
}

/** One upstream call through the library's session; its expiry warnings are this command's (see remind). */
async function fetchOnce(settings: Settings, mechanism: Mechanism): Promise<Fetched> {
  const logger = stderrLogger(settings.boolean("debug"), { quietWarnings: true });
  if (settings.boolean("no-verify-ssl")) {
    cliLine(
      stderrLogger(false),
      "warn",
      "insecure-tls",
      "--no-verify-ssl: the endpoint's TLS certificate is NOT verified. Use it only against a local emulator.",
    );
  }
  const session = await openSession(settings, mechanism, { logger, expiryWarningDays: 0 });
  try {
    const credentials = toProcessCredentials(await session.getCredentials());
    return { credentials, certificates: session.certificates(), mechanism: session.toJSON().mechanism };
  } finally {
    await session.close();
  }
}

/**
 * The expiry warning of a process that runs once per AWS call: at first
 * sight, then daily and at 7 and 1 days across processes (see
 * dueAcrossRuns); never quiet. A record that cannot be kept only costs a
 * repeated warning.
 */
function remind(settings: Settings, file: string | undefined, fetched: KnownCertificates | undefined): void {
  const thresholdDays = warningDays(settings);
  const now = Date.now();
  const result = dueAcrossRuns(file, fetched, thresholdDays, now);
  if (!result) return;
  const logger = stderrLogger(settings.boolean("debug"));
  for (const entry of result.due) warnExpiring(logger, entry, thresholdDays, result.mechanism, now);
  if (result.keepError) {
    cliLine(logger, "debug", "cache-write-failed", `could not keep the expiry reminder in ${file}: ${result.keepError.message}`, { file });
  }
}

/** Prints the answer (standard output holds nothing else). */
function answer(credentials: ProcessCredentials): number {
  process.stdout.write(processOutput(credentials));
  return 0;
}

/**
 * `certcreds credential-process`. The launcher answers from a fresh cache
 * file before this module loads; here that answer is tried once more (after
 * an expiry warning that is due), then the cold path: take the
 * per-configuration lock, look again, fetch once, write the cache
 * atomically, print. Processes that wait for the lock pick up what the
 * holder cached, so N concurrent invocations make one upstream call.
 */
export async function run(settings: Settings): Promise<number> {
  const mechanism = selectMechanism(settings);
  warningDays(settings);
  let cached = cachedAnswer(settings, mechanism);
  const directory = cacheDirectory(settings);
  const expiry = cached.key === undefined ? undefined : expiryFile(directory, cached.key);
  if (cached.reminderDue) {
    remind(settings, expiry, undefined);
    cached = cachedAnswer(settings, mechanism, { ignoreReminder: true });
  }
  const { key, output } = cached;
  if (output !== undefined) {
    process.stdout.write(output);
    return 0;
  }
  const logger = stderrLogger(settings.boolean("debug"));
  const debug = (event: string, message: string, fields?: Record<string, string>) => cliLine(logger, "debug", event, message, fields);
  if (settings.boolean("no-cache") || key === undefined) {
    if (key === undefined && !settings.boolean("no-cache")) debug("cache-bypassed", "certificate not readable yet; fetching without the cache");
    const fetched = await fetchOnce(settings, mechanism);
    remind(settings, undefined, fetched);
    return answer(fetched.credentials);
  }
  try {
    ensurePrivateDirectory(directory);
  } catch (error) {
    // A read-only or foreign home must not break credential_process: answer without the cache.
    cliLine(stderrLogger(false), "warn", "cache-disabled", `cache disabled: ${(error as Error).message}`, { directory });
    const fetched = await fetchOnce(settings, mechanism);
    remind(settings, undefined, fetched);
    return answer(fetched.credentials);
  }
  const file = cacheFile(directory, key);
  const outcome = await lockEntry(file);
  if ("value" in outcome) {
    debug("cache-shared", `credentials cached by another process, valid until ${outcome.value.credentials.Expiration}`, {
      expiration: outcome.value.credentials.Expiration,
    });
    remind(settings, expiry, undefined);
    return answer(outcome.value.credentials);
  }
  const { lock } = outcome;
  try {
    const fresh = freshEntry(file);
    if (fresh) {
      remind(settings, expiry, undefined);
      return answer(fresh.credentials);
    }
    const obtainedAt = Date.now();
    let fetched: Fetched;
    try {
      fetched = await fetchOnce(settings, mechanism);
    } catch (error) {
      // Keep-old-on-failure across processes: still-valid cached credentials beat an error.
      const previous = readCacheEntry(file);
      if (previous && Date.parse(previous.credentials.Expiration) - Date.now() > 60_000) {
        cliLine(
          stderrLogger(false),
          "warn",
          "stale-cache-used",
          `refresh failed, using cached credentials valid until ${previous.credentials.Expiration}: ${(error as Error).message}`,
          { expiration: previous.credentials.Expiration, error: (error as Error).message },
        );
        remind(settings, expiry, undefined);
        return answer(previous.credentials);
      }
      throw error;
    }
    try {
      writeEntry(file, obtainedAt, fetched.credentials);
      debug("cache-written", `credentials cached in ${directory}, valid until ${fetched.credentials.Expiration}`, {
        directory,
        expiration: fetched.credentials.Expiration,
      });
    } catch (error) {
      cliLine(stderrLogger(false), "warn", "cache-write-failed", `could not write the cache in ${directory}: ${(error as Error).message}`, { directory });
    }
    remind(settings, expiry, fetched);
    return answer(fetched.credentials);
  } finally {
    lock.release();
  }
}
