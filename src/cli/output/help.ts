import { VERSION } from "../../core/version.js";
import { envName, type FlagName } from "../config/flags.js";
import { keyInputHelp } from "../config/key-inputs.js";
import type { Command, RawCommand } from "../registry.js";

/** One line per flag: what it takes and what it does. */
const FLAG_HELP: Record<FlagName, string> = {
  ...keyInputHelp(),
  intermediates: "<file>  intermediate CA certificates (PEM bundle, any order)",
  "pkcs8-password": "<password>  passphrase of an encrypted PKCS#8 key (prefer CERTCREDS_PKCS8_PASSWORD: a flag shows in ps)",
  "trust-anchor-arn": "<arn>  IAM Roles Anywhere trust anchor; selects Roles Anywhere",
  "profile-arn": "<arn>  IAM Roles Anywhere profile",
  "role-arn": "<arn>  IAM role to assume",
  "session-duration": "<seconds>  session lifetime, 900–43200 (default 3600; the profile may cap it)",
  "role-session-name": "<name>  role session name (when the profile accepts custom names)",
  "role-alias": "<name>  AWS IoT role alias; selects the IoT credential provider",
  "thing-name": "<name>  AWS IoT thing the certificate is attached to",
  region: "<region>  signing region (Roles Anywhere: default the trust anchor's; IoT: default the endpoint's)",
  endpoint: "<url|host>  service endpoint (required for IoT: `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`)",
  "ca-cert": "<file>  CA bundle that signs the endpoint's certificate (instead of the system roots)",
  "no-verify-ssl": "do not verify the endpoint's TLS certificate (local emulators only)",
  "with-proxy": "call through the proxy of HTTPS_PROXY (honouring NO_PROXY); without it no proxy is used",
  debug: "print debug lines on standard error (never secrets)",
  "log-format": "<text|json>  lines on standard error as text (default) or one JSON object each: time, level, event, message, fields",
  "expiry-warning-days": "<days>  warn when the certificate or an intermediate expires within this many days (default 30; 0: never)",
  "profile-name": "<name>  profile (section) of the config file to read options from (default [default] when present)",
  "config-file": "<file>  config file (default $XDG_CONFIG_HOME/certcreds/config or ~/.config/certcreds/config)",
  "cache-dir": "<dir>  credentials cache (default $XDG_CACHE_HOME/certcreds or ~/.cache/certcreds)",
  "no-cache": "always call the service; do not read or write the cache",
  port: "<port>  port to listen on (default 9911; 0 picks a free one)",
  listen: "<address>  address to listen on (default 127.0.0.1; anything else is reachable by others: a warning is printed)",
  "allow-host": "<name,...>  other names clients reach the server by (comma-separated); requests with any other Host are refused (DNS rebinding)",
  "hop-limit": "<1-255>  IP TTL of answers (default 1, like aws_signing_helper; see README: serve)",
  "token-file": "<file>  where to write the container-endpoint token (default in the cache directory)",
  profile: "<name>  profile of the shared credentials file to keep fresh (default: default)",
  once: "write the credentials once and exit instead of keeping them fresh",
  string: "<text>  the string to sign (default: standard input, as aws_signing_helper)",
  format: "<json|text|bin>  output of the signature (default json: the hex string quoted)",
  digest: "<SHA256|SHA384|SHA512>  digest to sign with (default SHA256)",
};

/** A command's help page, beside its summary and flags in the registry. */
export interface CommandDoc {
  usage: string;
  description: string;
  examples: string[];
  /** Help lines of flags that mean something particular for this command (same form as the shared ones). */
  flagHelp?: Partial<Record<FlagName, string>>;
}

function wrap(text: string, indent: string, width = 100): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + word.length + 1 > width - indent.length) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join("\n");
}

/** Help of one subcommand: usage, description, every flag with its environment variable, examples. */
export function commandHelp(command: Command, doc: CommandDoc): string {
  const flags = command.flags.map((flag) => {
    const help = doc.flagHelp?.[flag] ?? FLAG_HELP[flag];
    const [argument, ...rest] = help.startsWith("<") ? help.split("  ") : ["", help];
    return `  --${flag}${argument ? ` ${argument}` : ""}\n${wrap(`${rest.join("  ")} [${envName(flag)}]`, "      ")}`;
  });
  return [
    `certcreds ${command.name} — ${command.summary}`,
    "",
    `Usage: ${doc.usage}`,
    "",
    wrap(doc.description, ""),
    "",
    "Options (each also from the environment variable in brackets, or from a config-file profile; flag > environment > profile):",
    ...flags,
    "  --help, -h\n      this help",
    "",
    "Examples:",
    ...doc.examples.map((e) => `${e.replace(/^/gm, "  ")}\n`),
    "Exit codes: 0 ok, 1 failure (network, service), 2 usage error, 3 configuration or input error.",
    "",
  ].join("\n");
}

/** `certcreds --help`. */
export function mainHelp(commands: readonly (Command | RawCommand)[]): string {
  const lines = commands.map((command) => `  ${command.name.padEnd(22)}${command.summary}`);
  return [
    `certcreds ${VERSION} — temporary AWS credentials from an X.509 certificate (IAM Roles Anywhere and AWS IoT)`,
    "",
    "Usage: certcreds <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "A drop-in replacement for aws_signing_helper: same subcommands and flags. --trust-anchor-arn selects IAM Roles Anywhere,",
    "--role-alias the AWS IoT credential provider. Every flag may also come from CERTCREDS_<FLAG> (e.g. CERTCREDS_TRUST_ANCHOR_ARN)",
    "or from a profile of ~/.config/certcreds/config ([name] sections of flag = value lines, chosen with --profile-name).",
    "",
    "Run certcreds <command> --help for its options and examples.",
    "",
    "Options:",
    "  --help, -h     this help",
    "  --version, -v  the version",
    "",
    "Exit codes: 0 ok, 1 failure (network, service), 2 usage error, 3 configuration or input error.",
    "",
  ].join("\n");
}
