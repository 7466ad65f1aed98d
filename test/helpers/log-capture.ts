import type { LogLevel, TraceLogger } from "../../src/index.js";

/** The level of one line a logger receives. */
export type LineLevel = Exclude<LogLevel, "none">;

/**
 * A logger that keeps everything it is given, at every level `trace`
 * included (as pino or winston would): `records` holds the arguments as
 * passed, to inspect them in full; `lines` one text per call ("level text"),
 * to assert on what was (not) logged.
 */
export class CapturingLogger implements TraceLogger {
  readonly records: { level: LineLevel; content: unknown[] }[] = [];
  readonly lines: string[] = [];

  private push(level: LineLevel, content: unknown[]) {
    this.records.push({ level, content });
    this.lines.push(
      `${level} ${content.map((c) => (c instanceof Error ? `${c.message} ${c.stack}` : typeof c === "string" ? c : JSON.stringify(c))).join(" ")}`,
    );
  }

  /** The texts of the lines at one level, without the level. */
  at(level: LineLevel): string[] {
    return this.lines.filter((line) => line.startsWith(`${level} `)).map((line) => line.slice(level.length + 1));
  }

  trace(...c: unknown[]) {
    this.push("trace", c);
  }
  debug(...c: unknown[]) {
    this.push("debug", c);
  }
  info(...c: unknown[]) {
    this.push("info", c);
  }
  warn(...c: unknown[]) {
    this.push("warn", c);
  }
  error(...c: unknown[]) {
    this.push("error", c);
  }
}

/** Throws if any of the secrets (or a 24-character slice of one) appears in the texts. */
export function assertNoSecrets(texts: string[], secrets: string[]): void {
  for (const secret of secrets.filter(Boolean)) {
    const probe = secret.length > 24 ? secret.slice(secret.length / 2 - 12, secret.length / 2 + 12) : secret;
    for (const text of texts) {
      if (text.includes(probe)) throw new Error(`a secret value appears in: ${text.slice(0, 80)}…`);
    }
  }
}

/** Base64 body lines of a PEM private key: what must never leak. */
export function pemBodyLines(pem: string): string[] {
  return pem.split("\n").filter((line) => line.length > 40 && !line.startsWith("-----"));
}
