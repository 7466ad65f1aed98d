import { writeSync } from "node:fs";
import { DEFAULT_EXPIRY_WARNING_DAYS, MAX_EXPIRY_WARNING_DAYS } from "../../cache/expiry-reminder.js";
import { processOutput } from "../../surfaces/credential-process/process-credentials.js";
import type { Mechanism } from "../config/mechanism.js";
import type { Settings } from "../config/settings.js";
import { formatLogLine } from "../output/log-line.js";
import { cacheKey } from "./cache-key.js";
import { expiryFile, expiryReminderDue, readExpiryRecord } from "./cache-expiry.js";
import { cacheDirectory, cacheFile, isFresh, readCacheEntry } from "./cache-read.js";

/** `--expiry-warning-days`, default 30; undefined when out of range (the full CLI then says so). */
export function warningDaysSetting(settings: Settings): number | undefined {
  const days = settings.integer("expiry-warning-days") ?? DEFAULT_EXPIRY_WARNING_DAYS;
  return days >= 0 && days <= MAX_EXPIRY_WARNING_DAYS ? days : undefined;
}

/**
 * The warm path of `credential-process`: the cache key and, when the cache
 * holds credentials with more than the refresh window left, the exact line
 * to print. Touches only flags, environment, config file, certificate bytes
 * and the cache files. `reminderDue`: the certificate's expiry warning is due
 * (see cache-expiry.ts), which the full CLI gives before answering from the
 * cache — then no answer here (pass `ignoreReminder` once it was given).
 */
export function cachedAnswer(
  settings: Settings,
  mechanism: Mechanism,
  options: { ignoreReminder?: boolean } = {},
): { key: string | undefined; output: string | undefined; reminderDue: boolean } {
  if (settings.boolean("no-cache")) return { key: undefined, output: undefined, reminderDue: false };
  const key = cacheKey(settings, mechanism);
  if (key === undefined) return { key, output: undefined, reminderDue: false };
  const directory = cacheDirectory(settings);
  const entry = readCacheEntry(cacheFile(directory, key));
  const now = Date.now();
  if (!entry || !isFresh(entry, now)) return { key, output: undefined, reminderDue: false };
  const days = warningDaysSetting(settings);
  if (days === undefined) return { key, output: undefined, reminderDue: false };
  if (!options.ignoreReminder && expiryReminderDue(readExpiryRecord(expiryFile(directory, key)), days, now)) {
    return { key, output: undefined, reminderDue: true };
  }
  if (settings.boolean("debug")) {
    writeAll(
      2,
      formatLogLine("debug", "cache-hit", `cached credentials, valid until ${entry.credentials.Expiration}`, { expiration: entry.credentials.Expiration }),
    );
  }
  return { key, output: processOutput(entry.credentials), reminderDue: false };
}

/**
 * Writes to a file descriptor synchronously. `process.stdout` is not used
 * here: creating it loads the stream and socket modules, about 2 ms.
 */
export function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    }
  }
}
