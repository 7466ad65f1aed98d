import { selectMechanism } from "./config/mechanism.js";
import { parseArgs } from "./config/parse-args.js";
import { resolveSettings } from "./config/settings.js";
import { cachedAnswer, writeAll } from "./fs/cached-answer.js";
import { parseLogFormat, setLogFormat } from "./output/log-line.js";

/**
 * Answers `credential-process` from the cache when it can, before anything
 * else is loaded; returns false (leaving every error, and an expiry warning
 * that is due, to the full CLI) otherwise.
 */
export function tryWarmCredentialProcess(argv: string[]): boolean {
  if (argv[0] !== "credential-process") return false;
  let output: string | undefined;
  try {
    const parsed = parseArgs("credential-process", argv.slice(1));
    if (parsed.help) return false;
    const settings = resolveSettings("credential-process", parsed);
    const format = parseLogFormat(settings.string("log-format"));
    if (format === undefined) return false;
    setLogFormat(format);
    output = cachedAnswer(settings, selectMechanism(settings)).output;
  } catch {
    return false;
  }
  if (output === undefined) return false;
  writeAll(1, output);
  return true;
}
