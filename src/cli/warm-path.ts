import { selectMechanism } from "./config/mechanism.js";
import { parseArgs } from "./config/parse-args.js";
import { resolveSettings } from "./config/settings.js";
import { cachedAnswer, writeAll } from "./fs/cached-answer.js";

/**
 * Answers `credential-process` from the cache when it can, before anything
 * else is loaded; returns false (leaving every error to the full CLI, which
 * reports it properly) otherwise.
 */
export function tryWarmCredentialProcess(argv: string[]): boolean {
  if (argv[0] !== "credential-process") return false;
  let output: string | undefined;
  try {
    const parsed = parseArgs("credential-process", argv.slice(1));
    if (parsed.help) return false;
    const settings = resolveSettings("credential-process", parsed);
    output = cachedAnswer(settings, selectMechanism(settings)).output;
  } catch {
    return false;
  }
  if (output === undefined) return false;
  writeAll(1, output);
  return true;
}
