import type { Settings } from "../config/settings.js";
import { clearCacheDirectory } from "../fs/cache-clear.js";
import { cacheDirectory } from "../fs/cache-read.js";
import type { CommandDoc } from "../output/help.js";

export const doc: CommandDoc = {
  usage: "certcreds cache clear [--cache-dir <dir>]",
  description:
    "Deletes every credentials file (and stale lock) certcreds wrote in the cache directory, and the token files of `certcreds serve` processes that are no longer running (a running server's is kept: its clients read it).",
  examples: ["certcreds cache clear"],
};

/** `certcreds cache clear`: deletes the cached credentials and the token files of servers no longer running. */
export async function run(settings: Settings): Promise<number> {
  const directory = cacheDirectory(settings);
  const cleared = clearCacheDirectory(directory);
  if (cleared === undefined) {
    process.stdout.write(`certcreds cache clear: nothing to delete (${directory} does not exist)\n`);
    return 0;
  }
  const { removed, kept } = cleared;
  const live = kept ? `; kept the token file${kept === 1 ? "" : "s"} of ${kept} running certcreds serve` : "";
  process.stdout.write(`certcreds cache clear: deleted ${removed} file${removed === 1 ? "" : "s"} from ${directory}${live}\n`);
  return 0;
}
