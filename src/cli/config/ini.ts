/** One `[section]` of an INI file: its keys in order of appearance. */
export type IniSections = Map<string, Map<string, string>>;

/**
 * A small INI reader for certcreds' own config file: `[name]` sections,
 * `key = value` lines, `#` and `;` comments. Keys are lower-cased with `_`
 * read as `-`, so `trust_anchor_arn` and `trust-anchor-arn` are one key.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const name = sectionName(line);
    if (name !== undefined) {
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0 || current === undefined) continue;
    const key = line.slice(0, eq).trim().toLowerCase().replace(/_/g, "-");
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    current.set(key, value);
  }
  return sections;
}

/**
 * The name of a `[name]` or `[profile name]` line (already trimmed), trimmed;
 * undefined for any other line. String scans, not one regular expression:
 * the former pattern backtracked for minutes on a line of many spaces.
 */
function sectionName(line: string): string | undefined {
  if (line[0] !== "[" || line.at(-1) !== "]") return undefined;
  const inner = line.slice(1, -1);
  if (inner.includes("]")) return undefined;
  const name = inner.trimStart();
  const profile = /^profile\s+/.exec(name);
  return (profile ? name.slice(profile[0].length) : name).trimEnd();
}
