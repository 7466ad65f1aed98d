import { writeSync } from "node:fs";
import { processOutput } from "../../surfaces/credential-process/process-credentials.js";
import type { Mechanism } from "../config/mechanism.js";
import type { Settings } from "../config/settings.js";
import { cacheKey } from "./cache-key.js";
import { cacheDirectory, cacheFile, isFresh, readCacheEntry } from "./cache-read.js";

/**
 * The warm path of `credential-process`: the cache key and, when the cache
 * holds credentials with more than the refresh window left, the exact line
 * to print. Touches only flags, environment, config file, certificate bytes
 * and the cache file.
 */
export function cachedAnswer(settings: Settings, mechanism: Mechanism): { key: string | undefined; output: string | undefined } {
  if (settings.boolean("no-cache")) return { key: undefined, output: undefined };
  const key = cacheKey(settings, mechanism);
  if (key === undefined) return { key, output: undefined };
  const entry = readCacheEntry(cacheFile(cacheDirectory(settings), key));
  if (!entry || !isFresh(entry, Date.now())) return { key, output: undefined };
  if (settings.boolean("debug")) writeAll(2, `certcreds debug: cached credentials, valid until ${entry.credentials.Expiration}\n`);
  return { key, output: processOutput(entry.credentials) };
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
