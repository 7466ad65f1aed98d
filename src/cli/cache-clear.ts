import { readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { cacheDirectory } from "./cache-read.js";
import type { Settings } from "./settings.js";

/** Names certcreds writes in the cache: `<sha256>.json`, its lock and temporary files. */
const OURS = /^(\.?[0-9a-f]{64}\.json(\.lock(\.stale-.*)?|\..*\.tmp)?)$/;

/** `certcreds cache clear`: deletes cached credentials (never a running server's token file). */
export async function runCacheClear(settings: Settings): Promise<number> {
  const directory = cacheDirectory(settings);
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      process.stdout.write(`certcreds cache clear: nothing to delete (${directory} does not exist)\n`);
      return 0;
    }
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    if (!OURS.test(name)) continue;
    try {
      unlinkSync(join(directory, name));
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  process.stdout.write(`certcreds cache clear: deleted ${removed} file${removed === 1 ? "" : "s"} from ${directory}\n`);
  return 0;
}
