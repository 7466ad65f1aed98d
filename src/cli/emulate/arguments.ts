/**
 * The command line of `certcreds emulate`: `--dir DIR [--port N]`. Read here
 * rather than through the flags table: those flags would also be read from
 * `CERTCREDS_PORT` and the config-file profile, which belong to `serve`.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { showValue } from "../../core/show-value.js";
import { nearest } from "../../core/suggest.js";
import { type LogFormat, rawLogFormat } from "../output/log-line.js";
import { UsageError } from "../output/usage-error.js";

/** What `certcreds emulate` was asked to do. */
export type EmulateArguments = { help: true } | { help: false; dir: string; port: number; logFormat: LogFormat };

const FLAGS = ["dir", "port", "log-format", "help"];

/** The first of the three ports: N, N+1, N+2 must all be ports; 0 picks free ones. */
function checkedPort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65533)) {
    throw new UsageError(
      `--port ${showValue(text)} is not a usable first port: give a whole number 1–65533 (the emulators take it and the next two), or leave --port out for free ports.`,
    );
  }
  return port;
}

/** Parses `--dir DIR`, `--port N`, `--log-format F` (each also `--flag=value`) and `--help`; anything else is a usage error naming the fix. */
export function parseEmulateArguments(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): EmulateArguments {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return { help: true };
    if (!arg.startsWith("--")) {
      throw new UsageError(`unexpected argument ${showValue(arg)}: pass the directory with --dir <dir>. Run "certcreds emulate --help".`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (name !== "dir" && name !== "port" && name !== "log-format") {
      const guess = nearest(name, FLAGS);
      const shown = /^[\w-]{0,60}$/.test(name) ? `--${name}` : showValue(`--${name}`);
      throw new UsageError(
        `unknown option ${shown} for "certcreds emulate".${guess ? ` Did you mean --${guess}?` : ""} It takes --dir <dir>, --port <port> and --log-format <text|json>; run "certcreds emulate --help".`,
      );
    }
    const value = eq < 0 ? argv[i + 1] : arg.slice(eq + 1);
    if (eq < 0) i++;
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      throw new UsageError(`option --${name} needs a value, e.g. --${name} ${name === "dir" ? "./certcreds-emulate" : name === "port" ? "9000" : "json"}.`);
    }
    values.set(name, value);
  }
  const dir = values.get("dir");
  if (dir === undefined) {
    throw new UsageError(
      '--dir is required: the directory to write the certificates, keys, env and aws-config into, e.g. "certcreds emulate --dir ./emulate".',
    );
  }
  // `--dir=~/x` reaches us unexpanded: the shell expands a ~ only at the start of a word.
  const expanded = dir === "~" || dir.startsWith("~/") ? join(homedir(), dir.slice(1)) : dir;
  return { help: false, dir: resolve(expanded), port: checkedPort(values.get("port") ?? "0"), logFormat: rawLogFormat(values.get("log-format"), env) };
}
