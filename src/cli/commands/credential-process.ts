import { type ProcessCredentials, processOutput, toProcessCredentials } from "../../surfaces/credential-process/process-credentials.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { openSession } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { ensurePrivateDirectory } from "../fs/atomic-write.js";
import { cacheDirectory, cacheFile, readCacheEntry } from "../fs/cache-read.js";
import { freshEntry, lockEntry, writeEntry } from "../fs/cache-write.js";
import { IOT_EXAMPLE, RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { stderrLogger } from "../output/stderr-logger.js";
import { cachedAnswer } from "../fs/cached-answer.js";

export const doc: CommandDoc = {
  usage: "certcreds credential-process [options]",
  description:
    "Prints exactly one JSON object on standard output — Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration (RFC 3339 UTC), AccountId when known — and nothing else. " +
    "Credentials are cached per user and per configuration (directory 0700, files 0600) and reused while more than the refresh window (15 minutes, or a third of a short lifetime) remains; " +
    "concurrent invocations share one call through a lock file. Errors go to standard error with a non-zero exit code.",
  examples: [
    `# ~/.aws/config\n[profile device]\ncredential_process = certcreds credential-process ${RA_EXAMPLE}`,
    `# with the options in ~/.config/certcreds/config, section [device]:\ncredential_process = certcreds credential-process --profile-name device`,
    `# AWS IoT\ncredential_process = certcreds credential-process ${IOT_EXAMPLE}`,
    `# key from a variable, never on disk\nDEVICE_KEY="$(vault kv get -field=key secret/device)" certcreds credential-process --private-key env:DEVICE_KEY ...`,
  ],
};

/** One upstream call through the library's session. */
async function fetchOnce(settings: Settings, mechanism: Mechanism): Promise<ProcessCredentials> {
  const logger = stderrLogger(settings.boolean("debug"), { quietWarnings: true });
  if (settings.boolean("no-verify-ssl"))
    stderrLogger(false).warn?.("--no-verify-ssl: the endpoint's TLS certificate is NOT verified. Use it only against a local emulator.");
  const session = await openSession(settings, mechanism, { logger });
  try {
    return toProcessCredentials(await session.getCredentials());
  } finally {
    await session.close();
  }
}

/**
 * `certcreds credential-process`. The launcher answers from a fresh cache
 * file before this module loads; here that answer is tried once more, then
 * the cold path: take the per-configuration lock, look again, fetch once,
 * write the cache atomically, print. Processes that wait for the lock pick
 * up what the holder cached, so N concurrent invocations make one upstream
 * call.
 */
export async function run(settings: Settings): Promise<number> {
  const mechanism = selectMechanism(settings);
  const { key, output } = cachedAnswer(settings, mechanism);
  if (output !== undefined) {
    process.stdout.write(output);
    return 0;
  }
  const debug = settings.boolean("debug") ? stderrLogger(true).debug! : () => {};
  if (settings.boolean("no-cache") || key === undefined) {
    if (key === undefined && !settings.boolean("no-cache")) debug("certificate not readable yet; fetching without the cache");
    process.stdout.write(processOutput(await fetchOnce(settings, mechanism)));
    return 0;
  }
  const directory = cacheDirectory(settings);
  try {
    ensurePrivateDirectory(directory);
  } catch (error) {
    // A read-only or foreign home must not break credential_process: answer without the cache.
    stderrLogger(false).warn?.(`cache disabled: ${(error as Error).message}`);
    process.stdout.write(processOutput(await fetchOnce(settings, mechanism)));
    return 0;
  }
  const file = cacheFile(directory, key);
  const outcome = await lockEntry(file);
  if ("value" in outcome) {
    debug(`credentials cached by another process, valid until ${outcome.value.credentials.Expiration}`);
    process.stdout.write(processOutput(outcome.value.credentials));
    return 0;
  }
  const { lock } = outcome;
  try {
    const cached = freshEntry(file);
    if (cached) {
      process.stdout.write(processOutput(cached.credentials));
      return 0;
    }
    const obtainedAt = Date.now();
    let credentials: ProcessCredentials;
    try {
      credentials = await fetchOnce(settings, mechanism);
    } catch (error) {
      // Keep-old-on-failure across processes: still-valid cached credentials beat an error.
      const previous = readCacheEntry(file);
      if (previous && Date.parse(previous.credentials.Expiration) - Date.now() > 60_000) {
        stderrLogger(false).warn?.(`refresh failed, using cached credentials valid until ${previous.credentials.Expiration}: ${(error as Error).message}`);
        process.stdout.write(processOutput(previous.credentials));
        return 0;
      }
      throw error;
    }
    try {
      writeEntry(file, obtainedAt, credentials);
      debug(`credentials cached in ${directory}, valid until ${credentials.Expiration}`);
    } catch (error) {
      stderrLogger(false).warn?.(`could not write the cache in ${directory}: ${(error as Error).message}`);
    }
    process.stdout.write(processOutput(credentials));
    return 0;
  } finally {
    lock.release();
  }
}
