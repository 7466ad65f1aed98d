/**
 * Relative links of the docs pages: the file exists, and an anchor into a
 * Markdown file names one of its headings (GitHub's slugs). A renamed page
 * or section breaks the test instead of the reader's click.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, "")
    .replace(/[`*_~]/g, (c) => (c === "_" ? "_" : ""))
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let inFence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1"));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** Every broken relative link of `pages` (paths relative to `root`), as "page: link (why)". */
export function checkLinks(root: string, pages: string[]): string[] {
  const problems: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), "utf8").replace(/^(```|~~~)[\s\S]*?^\1/gm, "");
    for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const link = match[1]!;
      if (/^[a-z]+:/i.test(link) || link.startsWith("docs/api/") || link.startsWith("api/")) continue;
      const [file = "", anchor] = link.split("#");
      const target = file === "" ? join(root, page) : normalize(join(root, dirname(page), file));
      if (!existsSync(target)) {
        problems.push(`${page}: ${link} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(anchor)) {
        problems.push(`${page}: ${link} (no heading with that anchor)`);
      }
    }
  }
  return problems;
}
