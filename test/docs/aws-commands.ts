/**
 * The `aws …` commands of blocks that need an AWS account cannot run here;
 * instead each is checked against the AWS CLI's own command model (the
 * awscli Python package behind /usr/bin/aws): the service exists, the
 * operation exists, and every `--option` is one that operation (or the CLI)
 * takes. A misspelt or renamed option fails the test, as it would fail a reader.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { AWS_CLI } from "./docs-world.js";

export interface AwsCommand {
  service: string;
  operation: string;
  /** The waiter of `aws <service> wait <waiter>`. */
  sub?: string;
  options: string[];
  text: string;
}

/**
 * The shell words of `text`, split at the top level into commands (at `;`,
 * `|`, `&&`, newlines and the `)` that closes a `$(`), inner `$(…)` commands
 * found too. Enough of the shell for documentation, not a full parser.
 */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  const joined = text.replace(/\\\n/g, " ");
  const parse = (start: number, closing: string | undefined): number => {
    let words: string[] = [];
    let word = "";
    let i = start;
    const endWord = () => {
      if (word !== "") words.push(word);
      word = "";
    };
    const endCommand = () => {
      endWord();
      if (words.length > 0) commands.push(words);
      words = [];
    };
    while (i < joined.length) {
      const c = joined[i]!;
      if (c === "'") {
        const end = joined.indexOf("'", i + 1);
        word += joined.slice(i + 1, end < 0 ? joined.length : end);
        i = end < 0 ? joined.length : end + 1;
      } else if (c === '"') {
        i++;
        while (i < joined.length && joined[i] !== '"') {
          if (joined.startsWith("$(", i)) {
            i = parse(i + 2, ")");
            word += "$(…)";
          } else word += joined[i++];
        }
        i++;
      } else if (joined.startsWith("$(", i)) {
        i = parse(i + 2, ")");
        word += "$(…)";
      } else if (c === "#" && word === "") {
        while (i < joined.length && joined[i] !== "\n") i++;
      } else if (closing !== undefined && c === closing) {
        endCommand();
        return i + 1;
      } else if (c === "\n" || c === ";" || c === "|" || c === "&") {
        endCommand();
        i++;
      } else if (c === " " || c === "\t") {
        endWord();
        i++;
      } else {
        word += c;
        i++;
      }
    }
    endCommand();
    return i;
  };
  parse(0, undefined);
  return commands;
}

/** The `aws <service> <operation> --option…` commands of a block. */
export function awsCommands(text: string): AwsCommand[] {
  return shellCommands(text)
    .map((words) => words.slice(words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))))
    .filter((words) => words[0] === "aws" && words.length >= 3)
    .map((words) => ({
      service: words[1]!,
      operation: words[2]!,
      ...(words[2] === "wait" && words[3] ? { sub: words[3] } : {}),
      options: words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0]!),
      text: words.join(" "),
    }));
}

const MODEL_SCRIPT = `
import json, sys
from awscli.clidriver import create_clidriver
driver = create_clidriver()
table = driver._get_command_table()
global_args = set(driver._get_argument_table().keys())
problems = []
for c in json.load(sys.stdin):
    service = table.get(c["service"])
    if service is None:
        problems.append("%s: no service %r in the AWS CLI" % (c["text"], c["service"])); continue
    # A service's operations, or a customisation's subcommands (aws configure get).
    operations = service._get_command_table() if hasattr(service, "_get_command_table") else getattr(service, "subcommand_table", {})
    operation = operations.get(c["operation"])
    if operation is None:
        problems.append("%s: no command %r in aws %s" % (c["text"], c["operation"], c["service"])); continue
    if c.get("sub"):
        operation = operation.subcommand_table.get(c["sub"])
        if operation is None:
            problems.append("%s: no waiter %r in aws %s wait" % (c["text"], c["sub"], c["service"])); continue
    known = set(operation.arg_table.keys()) | global_args
    for option in c["options"]:
        if option not in known:
            problems.append("%s: aws %s %s takes no --%s" % (c["text"], c["service"], c["operation"], option))
print(json.dumps(problems))
`;

/** The Python that runs the AWS CLI, if it is the Python awscli (Debian's); else why the model cannot be read. */
export function awsCliPython(): { python: string } | { unavailable: string } {
  if (!AWS_CLI) return { unavailable: "the AWS CLI is not installed" };
  const firstLine = readFileSync(AWS_CLI, "utf8").split("\n", 1)[0] ?? "";
  const python = /^#!\s*(\S*python3?\S*)/.exec(firstLine)?.[1];
  if (!python) return { unavailable: `${AWS_CLI} is not the Python AWS CLI` };
  const probe = spawnSync(python, ["-c", "import awscli.clidriver"], { stdio: "ignore" });
  return probe.status === 0 ? { python } : { unavailable: `${python} cannot import awscli.clidriver` };
}

/** Every problem found in `commands`, as one line each. */
export function checkAwsCommands(python: string, commands: AwsCommand[]): string[] {
  if (commands.length === 0) return [];
  const out = execFileSync(python, ["-c", MODEL_SCRIPT], { input: JSON.stringify(commands), encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out) as string[];
}
