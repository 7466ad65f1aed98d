import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` — where the AWS CLI and SDKs look. */
export function sharedCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AWS_SHARED_CREDENTIALS_FILE;
  if (configured) return configured.startsWith("~/") ? join(homedir(), configured.slice(2)) : resolve(configured);
  return join(homedir(), ".aws", "credentials");
}

/** The three keys `update` owns in a profile of the shared credentials file. */
export interface ProfileKeys {
  aws_access_key_id: string;
  aws_secret_access_key: string;
  aws_session_token: string;
}

interface Line {
  content: string;
  /** The line ending as found (`\n`, `\r\n`, `\r`, or "" for a last line without one). */
  eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const pattern = /([^\r\n]*)(\r\n|\n|\r|$)/g;
  for (const match of text.matchAll(pattern)) {
    if (match[0] === "" && match.index === text.length) break;
    lines.push({ content: match[1]!, eol: match[2]! });
  }
  return lines;
}

// Plain string scans, not regular expressions: a line of thousands of spaces made the
// former patterns backtrack for minutes.

/**
 * The section a line opens, as the AWS SDKs and botocore (configparser) read
 * it: `[name]`, maybe indented, maybe followed by a comment. The name is not
 * trimmed: both read `[ p ]` as the section " p ", not "p".
 */
function sectionName(content: string): string | undefined {
  const text = content.trim();
  const close = text.indexOf("]");
  if (text[0] !== "[" || close < 0) return undefined;
  const rest = text.slice(close + 1).trimStart();
  if (rest !== "" && rest[0] !== "#" && rest[0] !== ";") return undefined;
  return text.slice(1, close);
}

/** A `key = value` line: its indentation, key, and what separates the key from the value (`" = "`, `":"`...). */
function parseEntry(content: string): { indent: string; key: string; separator: string } | undefined {
  const at = content.search(/[=:]/);
  if (at < 0) return undefined;
  const indent = content.slice(0, content.length - content.trimStart().length);
  const key = content.slice(indent.length, at).trimEnd();
  if (key === "" || key[0] === "#" || key[0] === ";" || key[0] === "[") return undefined;
  const spaces = /^[ \t]*/.exec(content.slice(at + 1))![0];
  return { indent, key, separator: `${content.slice(indent.length + key.length, at)}=${spaces}` };
}

function indentOf(content: string): number {
  return content.length - content.trimStart().length;
}

/**
 * Rewrites the keys of one occurrence of the profile, from the line after
 * its header to the next header. Lines indented deeper than the option
 * above them continue its value (configparser, hence the AWS CLI and boto3,
 * read them so): an old value's continuation lines go with it, and an
 * indented `aws_session_token = …` under another option is part of that
 * option's value, not a key. Returns the lines, the index of the last entry
 * in them (-1 if none) and where the section ends.
 */
function rewriteSection(lines: Line[], from: number, values: SectionKeys, found: Set<string>): { out: Line[]; lastEntry: number; end: number } {
  const out: Line[] = [];
  let lastEntry = -1;
  let indentLevel = 0;
  let option: string | undefined;
  let replaced = false;
  let i = from;
  for (; i < lines.length && sectionName(lines[i]!.content) === undefined; i++) {
    const line = lines[i]!;
    const trimmed = line.content.trim();
    if (trimmed === "" || trimmed[0] === "#" || trimmed[0] === ";") {
      out.push(line);
      continue;
    }
    const indent = indentOf(line.content);
    if (option !== undefined && indent > indentLevel) {
      // A continuation line: kept, or dropped with the old value it continued — whose
      // new line then ends as the old value's last line did (a lone CR must not fuse with what follows).
      if (!replaced) lastEntry = out.push(line) - 1;
      else if (lastEntry === out.length - 1) out[lastEntry] = { ...out[lastEntry]!, eol: line.eol };
      continue;
    }
    indentLevel = indent;
    const entry = parseEntry(line.content);
    if (!entry) {
      lastEntry = out.push(line) - 1;
      continue;
    }
    option = entry.key.toLowerCase();
    replaced = Object.hasOwn(values, option);
    if (replaced) {
      // Spelled as the SDKs look it up (they match case and take only "="), spacing kept.
      out.push({ content: `${entry.indent}${option}${entry.separator}${values[option]}`, eol: line.eol });
      found.add(option);
    } else {
      out.push(line);
    }
    lastEntry = out.length - 1;
  }
  return { out, lastEntry, end: i };
}

/**
 * Sets the three credential keys of `[profile]` in the text of a shared
 * credentials file and returns the new text: {@link setSectionKeys} for the
 * section named exactly `profile`.
 */
export function setProfileKeys(text: string, profile: string, values: ProfileKeys): string {
  return setSectionKeys(text, { header: profile, matches: (name) => name === profile }, { ...values });
}

/** Keys to set in a section, by the lower-case name the SDKs look up. */
export type SectionKeys = Readonly<Record<string, string>>;

/** Which sections to rewrite, and the header of a new one (the text between the brackets). */
export interface SectionTarget {
  header: string;
  /** Whether a section of this name (the text between the brackets, untrimmed) is the one to rewrite. */
  matches(name: string): boolean;
}

/**
 * Sets keys of a section in the text of an INI file the AWS SDKs read (the
 * shared credentials file, the config file) and returns the new text.
 * Everything else — comments, other sections, other keys of this section,
 * blank lines, line endings, spacing — is kept byte for byte; a key line is
 * written as `key = value` keeping its indentation and spacing. Every
 * occurrence of a repeated section is rewritten (the SDKs merge them).
 * Missing keys are added after the section's last entry; a missing section
 * is appended.
 */
export function setSectionKeys(text: string, section: SectionTarget, values: SectionKeys): string {
  // Defence in depth (values are checked where credentials are received): a line break or any other control
  // character in a value or the section name would let it write lines of its own, such as a credential_process.
  for (const [key, value] of [["section", section.header], ...Object.entries(values)] as const) {
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      throw new RangeError(`refusing to write ${key} into an AWS credentials or config file: it holds a control character`);
    }
  }
  const lines = splitLines(text);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const found = new Set<string>();
  const out: Line[] = [];
  let anchor: number | undefined;
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    out.push(line);
    i++;
    const name = sectionName(line.content);
    if (name === undefined || !section.matches(name)) continue;
    const rewritten = rewriteSection(lines, i, values, found);
    // Missing keys go after the first occurrence's last entry (or its header).
    anchor ??= out.length - 1 + (rewritten.lastEntry + 1);
    for (const kept of rewritten.out) out.push(kept); // not push(...): a section may hold more lines than the stack allows arguments
    i = rewritten.end;
  }
  if (anchor === undefined) {
    const prefix = text === "" ? "" : /(\r\n|\n|\r)$/.test(text) ? eol : `${eol}${eol}`;
    const body = Object.entries(values).map(([key, value]) => `${key} = ${value}${eol}`);
    return `${text}${prefix}[${section.header}]${eol}${body.join("")}`;
  }
  const missing = Object.entries(values).filter(([key]) => !found.has(key));
  if (missing.length > 0) {
    const at = out[anchor]!;
    if (at.eol === "") out[anchor] = { ...at, eol };
    out.splice(anchor + 1, 0, ...missing.map(([key, value]) => ({ content: `${key} = ${value}`, eol })));
  }
  return out.map((line) => line.content + line.eol).join("");
}

/** {@link setProfileKeys} on the file's bytes (see {@link setSectionKeysInFile}). */
export function setProfileKeysInFile(bytes: Uint8Array, profile: string, values: ProfileKeys): Buffer {
  return setSectionKeysInFile(bytes, { header: profile, matches: (name) => name === Buffer.from(profile, "utf8").toString("latin1") }, { ...values });
}

/**
 * {@link setSectionKeys} on the file's bytes: read as Latin-1 so that every
 * byte — invalid UTF-8, a BOM — is written back unchanged (the structure
 * the function looks at is ASCII); the header and the values are written as
 * UTF-8, as the SDKs read them, and `matches` sees names as Latin-1 text of
 * their UTF-8 bytes.
 */
export function setSectionKeysInFile(bytes: Uint8Array, section: SectionTarget, values: SectionKeys): Buffer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A UTF-8 byte order mark is set aside, so that a first `[profile]` line behind it is seen, as the SDKs see it.
  const bom = buffer.subarray(0, 3).equals(UTF8_BOM) ? UTF8_BOM : Buffer.alloc(0);
  const text = buffer.subarray(bom.length).toString("latin1");
  const latin1 = (value: string) => Buffer.from(value, "utf8").toString("latin1");
  const target = { header: latin1(section.header), matches: section.matches };
  const encoded = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, latin1(value)]));
  return Buffer.concat([bom, Buffer.from(setSectionKeys(text, target, encoded), "latin1")]);
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
