/** The three keys `update` owns in a profile of the shared credentials file. */
export interface ProfileKeys {
  aws_access_key_id: string;
  aws_secret_access_key: string;
  aws_session_token: string;
}

const HEADER = /^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/;
const ENTRY = /^(\s*)([^\s=:#;[][^=:]*?)(\s*[=:][ \t]*)(.*)$/;

interface Line {
  content: string;
  /** The line ending as found (`\n`, `\r\n`, or "" for a last line without one). */
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

/**
 * Sets the three credential keys of `[profile]` in the text of a shared
 * credentials file and returns the new text. Everything else — comments,
 * other profiles, other keys of this profile, blank lines, line endings,
 * key spelling and spacing — is kept byte for byte. Missing keys are added
 * after the profile's last entry; a missing profile is appended.
 */
export function setProfileKeys(text: string, profile: string, values: ProfileKeys): string {
  const lines = splitLines(text);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const start = lines.findIndex((line) => HEADER.exec(line.content)?.[1] === profile);
  if (start < 0) {
    const prefix = text === "" ? "" : /(\r\n|\n|\r)$/.test(text) ? eol : `${eol}${eol}`;
    const body = Object.entries(values).map(([key, value]) => `${key} = ${value}${eol}`);
    return `${text}${prefix}[${profile}]${eol}${body.join("")}`;
  }
  let end = lines.findIndex((line, i) => i > start && HEADER.test(line.content));
  if (end < 0) end = lines.length;

  const pending = new Map(Object.entries(values));
  const out: Line[] = lines.slice(0, start + 1);
  let lastEntry = start;
  for (let i = start + 1; i < end; i++) {
    const line = lines[i]!;
    const entry = ENTRY.exec(line.content);
    const key = entry?.[2]?.trim().toLowerCase();
    if (entry && key !== undefined && Object.hasOwn(values, key)) {
      out.push({ content: `${entry[1]}${entry[2]}${entry[3]}${values[key as keyof ProfileKeys]}`, eol: line.eol });
      pending.delete(key);
      lastEntry = out.length - 1;
      // Drop the old value's continuation lines (indented deeper than the key), as configparser reads them.
      const indent = entry[1]!.length;
      while (i + 1 < end) {
        const next = lines[i + 1]!.content;
        const nextIndent = next.length - next.trimStart().length;
        if (next.trim() === "" || nextIndent <= indent) break;
        i++;
      }
      continue;
    }
    out.push(line);
    if (entry) lastEntry = out.length - 1;
  }
  if (pending.size > 0) {
    const anchor = out[lastEntry]!;
    if (anchor.eol === "") anchor.eol = eol;
    const added = [...pending].map(([key, value]) => ({ content: `${key} = ${value}`, eol }));
    out.splice(lastEntry + 1, 0, ...added);
  }
  out.push(...lines.slice(end));
  return out.map((line) => line.content + line.eol).join("");
}
