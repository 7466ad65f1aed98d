import type { TemporaryCredentials } from "../../core/credentials.js";
import { ensurePrivateDirectory, writeFileAtomic } from "../fs/atomic-write.js";
import { type CacheEntry, cacheDirectory, cacheFile, isFresh, type ProcessCredentials, processOutput, readCacheEntry } from "../fs/cache-read.js";
import { acquireFileLock } from "../fs/file-lock.js";
import { rfc3339 } from "../../surfaces/credential-process/rfc3339.js";
import type { Mechanism } from "../config/mechanism.js";
import { openSession } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { stderrLogger } from "../output/stderr-logger.js";

export function toProcessCredentials(credentials: TemporaryCredentials): ProcessCredentials {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: rfc3339(credentials.expiration),
    ...(credentials.accountId ? { AccountId: credentials.accountId } : {}),
  };
}

/** One upstream call through the library's session. */
async function fetchOnce(settings: Settings, mechanism: Mechanism): Promise<ProcessCredentials> {
  const logger = stderrLogger(settings.boolean("debug"), { quietWarnings: true });
  if (settings.boolean("no-verify-ssl")) stderrLogger(false).warn?.("--no-verify-ssl: the endpoint's TLS certificate is NOT verified. Use it only against a local emulator.");
  const session = await openSession(settings, mechanism, { logger });
  try {
    return toProcessCredentials(await session.getCredentials());
  } finally {
    await session.close();
  }
}

/**
 * The cold path of `credential-process` (the warm one, a fresh cache file,
 * never loads this module): take the per-configuration lock, look again,
 * fetch once, write the cache atomically, print. Processes that wait for the
 * lock pick up what the holder cached, so N concurrent invocations make one
 * upstream call.
 */
export async function runCredentialProcess(settings: Settings, mechanism: Mechanism, key: string | undefined): Promise<number> {
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
  const fresh = (): CacheEntry | undefined => {
    const entry = readCacheEntry(file);
    return entry && isFresh(entry, Date.now()) ? entry : undefined;
  };
  const outcome = await acquireFileLock(`${file}.lock`, { whileWaiting: fresh });
  if ("value" in outcome) {
    debug(`credentials cached by another process, valid until ${outcome.value.credentials.Expiration}`);
    process.stdout.write(processOutput(outcome.value.credentials));
    return 0;
  }
  const { lock } = outcome;
  try {
    const cached = fresh();
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
        stderrLogger(false).warn?.(
          `refresh failed, using cached credentials valid until ${previous.credentials.Expiration}: ${(error as Error).message}`,
        );
        process.stdout.write(processOutput(previous.credentials));
        return 0;
      }
      throw error;
    }
    const entry: CacheEntry = { v: 1, obtainedAt, credentials };
    try {
      writeFileAtomic(file, JSON.stringify(entry));
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
