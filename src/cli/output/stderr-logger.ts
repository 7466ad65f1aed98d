import { format } from "node:util";
import type { Logger } from "../../core/logger.js";

/**
 * The CLI's logger: warnings and errors always — for one-shot commands, which
 * report their own failure in one line, only with --debug (else a failure
 * would be printed twice: the library's line and the command's) — info
 * and debug lines with --debug, all on standard error (standard output
 * carries the command's answer). The library never passes it a key, PIN, passphrase, secret access
 * key or session token.
 */
export function stderrLogger(debug: boolean, options: { quietWarnings?: boolean } = {}): Logger {
  const write = (level: string, content: unknown[]) => {
    const text = format(...content.map((item) => (item instanceof Error ? item.message : item))).replace(/^certcreds:\s*/, "");
    process.stderr.write(`certcreds ${level}: ${text}\n`);
  };
  const quiet = () => {};
  return {
    debug: debug ? (...content) => write("debug", content) : quiet,
    info: debug ? (...content) => write("info", content) : quiet,
    warn: debug || !options.quietWarnings ? (...content) => write("warning", content) : quiet,
    error: debug || !options.quietWarnings ? (...content) => write("error", content) : quiet,
  };
}
