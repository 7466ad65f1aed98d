import { readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/** Names certcreds writes in the cache: `<sha256>.json`, its expiry reminder `<sha256>.expiry.json`, their lock and temporary files. */
const OURS = /^(\.?[0-9a-f]{64}(\.expiry)?\.json(\.lock(\.stale-.*)?|\..*\.tmp)?)$/;
/** `certcreds serve`'s token file (and its temporary file), named after the server's process id. */
const TOKEN_FILE = /^\.?serve-(\d+)\.token(\..*\.tmp)?$/;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes cached credentials, and the token files of servers that are no
 * longer running (a killed server cannot delete its own). A running
 * server's token file is kept: its clients read it at every request.
 * Undefined when the directory does not exist.
 */
export function clearCacheDirectory(directory: string): { removed: number; kept: number } | undefined {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let removed = 0;
  let kept = 0;
  for (const name of names) {
    const token = TOKEN_FILE.exec(name);
    if (token && running(Number(token[1]))) {
      kept++;
      continue;
    }
    if (!token && !OURS.test(name)) continue;
    try {
      unlinkSync(join(directory, name));
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return { removed, kept };
}
