import { VERSION } from "../../core/version.js";
import { COMMAND_FLAGS, envName, type FlagName } from "../config/flags.js";

/** One line per flag: what it takes and what it does. */
const FLAG_HELP: Record<FlagName, string> = {
  certificate: "<file|env:VAR|pkcs11:URI>  the certificate (PEM or DER; a PEM may also hold the chain and the key)",
  "private-key": "<file|env:VAR|-|pkcs11:URI>  the private key; env:VAR reads PEM text from a variable, - from standard input (no key on disk)",
  intermediates: "<file>  intermediate CA certificates (PEM bundle, any order)",
  "pkcs8-password": "<password>  passphrase of an encrypted PKCS#8 key (prefer CERTCREDS_PKCS8_PASSWORD: a flag shows in ps)",
  "pkcs11-lib": "<file>  PKCS#11 module for pkcs11: URIs",
  "reuse-pin": "use the token's user PIN for keys that ask for it again (CKA_ALWAYS_AUTHENTICATE)",
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
  "profile-name": "<name>  profile (section) of the config file to read options from (default [default] when present)",
  "config-file": "<file>  config file (default $XDG_CONFIG_HOME/certcreds/config or ~/.config/certcreds/config)",
  "cache-dir": "<dir>  credentials cache (default $XDG_CACHE_HOME/certcreds or ~/.cache/certcreds)",
  "no-cache": "always call the service; do not read or write the cache",
  port: "<port>  port to listen on (default 9911; 0 picks a free one)",
  listen: "<address>  address to listen on (default 127.0.0.1; anything else is reachable by others: a warning is printed)",
  "hop-limit": "<1-255>  IP TTL of answers (default 1, like aws_signing_helper; see README: serve)",
  "token-file": "<file>  where to write the container-endpoint token (default in the cache directory)",
  profile: "<name>  profile of the shared credentials file to keep fresh (default: default)",
  once: "write the credentials once and exit instead of keeping them fresh",
  string: "<text>  the string to sign (default: standard input, as aws_signing_helper)",
  format: "<json|text|bin>  output of the signature (default json: the hex string quoted)",
  digest: "<SHA256|SHA384|SHA512>  digest to sign with (default SHA256)",
};

interface CommandDoc {
  summary: string;
  usage: string;
  description: string;
  examples: string[];
}

const RA_EXAMPLE = "--certificate device.pem --private-key device.key --trust-anchor-arn arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/TA --profile-arn arn:aws:rolesanywhere:us-east-1:111122223333:profile/P --role-arn arn:aws:iam::111122223333:role/R";
const IOT_EXAMPLE = "--certificate thing.pem --private-key thing.key --role-alias my-alias --thing-name my-thing --endpoint c2abc.credentials.iot.us-east-1.amazonaws.com";

const DOCS: Record<string, CommandDoc> = {
  "credential-process": {
    summary: "print credentials in the credential_process format (cached across invocations)",
    usage: "certcreds credential-process [options]",
    description:
      "Prints exactly one JSON object on standard output — Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration (RFC 3339 UTC), AccountId when known — and nothing else. " +
      "Credentials are cached per user and per configuration (directory 0700, files 0600) and reused while more than the refresh window (15 minutes, or a third of a short lifetime) remains; " +
      "concurrent invocations share one call through a lock file. Errors go to standard error with a non-zero exit code.",
    examples: [
      `# ~/.aws/config\n[profile device]\ncredential_process = certcreds credential-process ${RA_EXAMPLE}`,
      `# with the options in ~/.config/certcreds/config, section [device]:\ncredential_process = certcreds credential-process --profile-name device`,
      `# AWS IoT\ncredential_process = certcreds credential-process ${IOT_EXAMPLE}`,
      `# key from a variable, never on disk\nDEVICE_KEY="$(vault kv get -field=key secret/device)" certcreds credential-process --private-key env:DEVICE_KEY ...`,
    ],
  },
  serve: {
    summary: "serve credentials to local SDKs over IMDSv2 and the container credentials endpoint",
    usage: "certcreds serve [options]",
    description:
      "Listens on 127.0.0.1:9911 and answers both IMDSv2 (PUT /latest/api/token, GET /latest/meta-data/iam/security-credentials/[role]) and the container credentials endpoint (GET /credentials with the Authorization token written to a 0600 file). " +
      "Credentials are refreshed in the background before they expire, one call at a time; valid credentials keep being served through upstream failures. " +
      "At start it prints the export lines to paste into the shell of the programs to serve. SIGINT/SIGTERM stop it cleanly.",
    examples: [
      `certcreds serve ${RA_EXAMPLE}`,
      "certcreds serve --profile-name device --port 9912",
      "# then, in another shell: paste the printed export lines, and\naws sts get-caller-identity",
    ],
  },
  update: {
    summary: "keep a profile of ~/.aws/credentials fresh",
    usage: "certcreds update [options]",
    description:
      "Writes aws_access_key_id, aws_secret_access_key and aws_session_token of one profile of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), leaving every other byte as it was, atomically, under a lock, mode 0600. " +
      "It then keeps running and rewrites them at half of each lifetime, retrying failures; --once writes once and exits.",
    examples: [`certcreds update --profile device ${RA_EXAMPLE}`, "certcreds update --profile-name device --profile device --once"],
  },
  "sign-string": {
    summary: "sign a string with the private key (as aws_signing_helper sign-string)",
    usage: "certcreds sign-string --private-key <key> [--string <text>] [--format json|text|bin] [--digest SHA256|SHA384|SHA512]",
    description:
      "Signs the string (from --string, else standard input) with the key: RSA PKCS#1 v1.5 or ECDSA (ASN.1 DER), over the chosen digest, and prints the signature as hex (json: quoted, text: bare) or raw bytes (bin).",
    examples: ["printf 'hello' | certcreds sign-string --private-key device.key --format text", "certcreds sign-string --private-key device.key --string hello --digest SHA384"],
  },
  "read-certificate-data": {
    summary: "print a certificate's key type, serial (decimal), base64 DER and algorithms",
    usage: "certcreds read-certificate-data --certificate <file>",
    description:
      'Prints {"keyType","certificateData","serialNumber","supportedAlgorithms"} as aws_signing_helper does: RSA or EC, the DER in standard base64, the serial number in decimal.',
    examples: ["certcreds read-certificate-data --certificate device.pem"],
  },
  doctor: {
    summary: "check a configuration step by step and explain what is wrong",
    usage: "certcreds doctor [options]",
    description:
      "Checks each input offline — files readable, PEM parses, key type supported, key matches the certificate, validity dates, chain order, ARN shapes and regions, endpoint host resolves — then makes one real call and explains the answer. " +
      "Every failed check says what to do. Exit code 0 only when every check passed.",
    examples: [`certcreds doctor ${RA_EXAMPLE}`, "certcreds doctor --profile-name device"],
  },
  "cache clear": {
    summary: "delete the cached credentials",
    usage: "certcreds cache clear [--cache-dir <dir>]",
    description:
      "Deletes every credentials file (and stale lock) certcreds wrote in the cache directory, and the token files of `certcreds serve` processes that are no longer running (a running server's is kept: its clients read it).",
    examples: ["certcreds cache clear"],
  },
};

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
export function commandHelp(name: string): string {
  const doc = DOCS[name];
  if (!doc) return mainHelp();
  const flags = (COMMAND_FLAGS[name] ?? []).map((flag) => {
    const [argument, ...rest] = FLAG_HELP[flag].startsWith("<") ? FLAG_HELP[flag].split("  ") : ["", FLAG_HELP[flag]];
    return `  --${flag}${argument ? ` ${argument}` : ""}\n${wrap(`${rest.join("  ")} [${envName(flag)}]`, "      ")}`;
  });
  return [
    `certcreds ${name} — ${doc.summary}`,
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
export function mainHelp(): string {
  const commands = Object.entries(DOCS).map(([name, doc]) => `  ${name.padEnd(22)}${doc.summary}`);
  return [
    `certcreds ${VERSION} — temporary AWS credentials from an X.509 certificate (IAM Roles Anywhere and AWS IoT)`,
    "",
    "Usage: certcreds <command> [options]",
    "",
    "Commands:",
    ...commands,
    `  ${"demo".padEnd(22)}obtain credentials end to end against local emulators (no AWS account needed)`,
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
