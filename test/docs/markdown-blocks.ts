/**
 * The fenced code blocks of a Markdown file, with their info strings parsed:
 * the language (the first word) and the attributes after it, which say how
 * the docs test treats the block (docs/README.md of the test: code-blocks.test.ts).
 *
 *   ```sh aws              needs an AWS account: only checked
 *   ```sh background ready=~/certcreds-try/env
 *
 * Also the test's directives, HTML comments invisible on the rendered page:
 *   <!-- docs-test: env NAME=value -->   a value the reader would have from an AWS call above
 */
import { readFileSync } from "node:fs";

export interface CodeBlock {
  /** Path of the Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The first word of the info string, lower case ("" when none). */
  lang: string;
  /** Bare words after the language (`aws`, `background`...). */
  flags: Set<string>;
  /** `key=value` words after the language. */
  options: Map<string, string>;
  code: string;
  /** `NAME=value` pairs of the `docs-test: env` directives seen before this block in the file. */
  env: Record<string, string>;
}

const FENCE = /^( {0,3}|\s*)(`{3,}|~{3,})(.*)$/;
const DIRECTIVE = /<!--\s*docs-test:\s*env\s+([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*-->/g;

/** Every fenced block of `text`, in order. Throws on a fence that is never closed. */
export function parseBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const opening = FENCE.exec(lines[i]!);
    if (!opening) {
      for (const match of lines[i]!.matchAll(DIRECTIVE)) env[match[1]!] = match[2]!;
      continue;
    }
    const indent = opening[1]!.length;
    const fence = opening[2]!;
    const [lang = "", ...words] = opening[3]!.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const closing = FENCE.exec(lines[j]!);
      if (closing && closing[2]!.startsWith(fence[0]!) && closing[2]!.length >= fence.length && closing[3]!.trim() === "") break;
      body.push(lines[j]!.slice(Math.min(indent, lines[j]!.length - lines[j]!.trimStart().length)));
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: the code block opened here is never closed`);
    const flags = new Set(words.filter((w) => !w.includes("=")));
    const options = new Map(words.filter((w) => w.includes("=")).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)] as [string, string]));
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), flags, options, code: `${body.join("\n")}\n`, env: { ...env } });
    i = j;
  }
  return blocks;
}

export function readBlocks(path: string, shownAs: string): CodeBlock[] {
  return parseBlocks(shownAs, readFileSync(path, "utf8"));
}

/** Where a block is, for test names and messages: `docs/cli.md:120 (sh)`. */
export function where(block: CodeBlock): string {
  return `${block.file}:${block.line} (${[block.lang, ...block.flags].join(" ")})`;
}
