/**
 * Property-based tests for the shared credentials file that `certcreds
 * update` rewrites. Files are generated from a model that knows which lines
 * are the target profile's three key lines (with their continuation lines):
 * after the rewrite, the file with those lines removed must equal the new
 * file with the new key lines removed, byte for byte — comments, other
 * profiles, odd spacing, CRLF/LF/mixed endings, a BOM, binary junk — and the
 * real consumers (the SDK v3's `fromIni`, botocore's `raw_config_parse`)
 * must read the new values.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fromIni } from "@aws-sdk/credential-providers";
import fc from "fast-check";
import { setProfileKeys, setProfileKeysInFile } from "../../src/surfaces/credentials-file/credentials-file.js";
import { writeProfile } from "../../src/cli/commands/update.js";
import { pythonsWithBoto3 } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "certcreds-ini-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Text in "byte space": one character per byte, as setProfileKeysInFile reads a file. */
const bytesOf = (text: string) => Buffer.from(text, "utf8").toString("latin1");

/** Profile names the SDK and botocore both read (no spaces: the SDK reads "[a b]" as a prefixed section). */
const PROFILES = ["default", "dev", "prod-eu", "a.b", "x_1", "ünï"];
const TARGET_KEYS = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"] as const;

type Kind = "other" | "target";
interface Item {
  /** Line content in byte space, without its line ending. */
  content: string;
  kind: Kind;
}

/**
 * Junk between two "~" (never a header, comment or key of ours, and never an empty "key =" that
 * would open an SDK sub-section): any text, or in bytes mode any bytes but CR/LF.
 */
const junk = (bytesMode: boolean) =>
  bytesMode
    ? fc.uint8Array({ maxLength: 40 }).map((b) => `~${Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d)).toString("latin1")}~`)
    : fc.string({ unit: "binary", maxLength: 30 }).map((s) => `~${bytesOf(s.replace(/[\r\n\u2028\u2029\u0085]/g, "").replace(/[\ud800-\udfff]/g, "?"))}~`);

const blank = fc.constantFrom("", " ", "   ", "\t");
const comment = fc.tuple(fc.constantFrom("", "  ", "\t"), fc.constantFrom("#", ";"), fc.stringMatching(/^[ -~]{0,30}$/)).map(([i, c, t]) => `${i}${c}${t}`);
const oldValue = fc.oneof(fc.stringMatching(/^[A-Za-z0-9+/=]{0,40}$/), fc.constantFrom("", "OLD ; not a comment", "OLD # x", "  spaced  ", "é ü"));
const separator = fc.constantFrom("=", " = ", "  =  ", " =", "= ", ":", " : ", "\t=\t", " =    ");
const keySpelling = (key: string) => fc.constantFrom(key, key.toUpperCase(), key.replace("aws", "AWS"));

/** One body item list for a section: key lines (the target's three, with continuation lines), other keys, comments, blanks, junk. */
function body(isTarget: boolean, indent: string, bytesMode: boolean) {
  // Continuation lines (indented deeper). "aws_session_token = nested" is a nested setting for
  // both readers only under an empty "key =" without indentation (an SDK sub-section).
  const cont = (kind: Kind, subSection: boolean) =>
    fc.array(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(
              fc.constantFrom("  ", "    ", "\t "),
              fc.oneof(junk(bytesMode), fc.constantFrom("part2", "max = 1", subSection ? "aws_session_token = nested" : "part3")),
            )
            .map(([d, t]) => ({ content: `${indent}${d}${t}`, kind })),
        },
        { weight: 1, arbitrary: blank.map((content) => ({ content, kind: "other" as Kind })) },
      ),
      { maxLength: 2 },
    );
  const targetKey = fc
    .tuple(fc.constantFrom(...TARGET_KEYS).chain(keySpelling), separator, oldValue)
    .chain(([key, sep, value]) =>
      cont(isTarget ? "target" : "other", false).map((rest): Item[] => [
        { content: `${indent}${key}${sep}${value}`, kind: isTarget ? "target" : "other" },
        ...rest,
      ]),
    );
  // An empty value (for the SDK: nothing after the first "=") opens an SDK sub-section that only an
  // unindented line closes: generated only without indentation.
  const otherKey = fc
    .tuple(
      fc.constantFrom("region", "output", "foo_bar", "s3", "aws_session_token_x"),
      separator,
      indent === "" ? oldValue : oldValue.map((v) => `${v.trim()}v`),
    )
    .chain(([key, sep, value]) =>
      cont("other", indent === "" && value === "" && sep.includes("=")).map((rest): Item[] => [
        { content: `${indent}${key}${sep}${value}`, kind: "other" },
        ...rest,
      ]),
    );
  return fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: targetKey },
        { weight: 3, arbitrary: otherKey },
        { weight: 2, arbitrary: comment.map((content): Item[] => [{ content, kind: "other" }]) },
        { weight: 2, arbitrary: blank.map((content): Item[] => [{ content, kind: "other" }]) },
        { weight: 1, arbitrary: junk(bytesMode).map((j): Item[] => [{ content: `${indent}${j}`, kind: "other" }]) },
      ),
      { maxLength: 8 },
    )
    .map((groups) => groups.flat());
}

/** A generated credentials file, in byte space, with what the rewrite must do to it. */
interface Model {
  profile: string;
  items: Item[];
  eols: string[];
  bom: boolean;
  text: string;
  hasTarget: boolean;
}

function model(bytesMode: boolean) {
  return fc.constantFrom(...PROFILES).chain((profile) => {
    const p = bytesOf(profile);
    // Headers start in column 0: configparser reads a header indented deeper than the option above as that option's value, the SDKs as a header.
    const targetHeader = fc.constantFrom(`[${p}]`, `[${p}]  `, `[${p}] # note`, `[${p}]\t; note`);
    const decoyHeader = fc.constantFrom(`[ ${p} ]`, `[${p}x]`, `[profile ${p}]`, `[x${p}]`, "[other]", "[default2]", `[${p.toUpperCase()}]`);
    const section = fc
      .tuple(fc.boolean(), fc.constantFrom("", "", " ", "\t", "  "))
      .chain(([isTarget, indent]) =>
        fc
          .tuple(isTarget ? targetHeader : decoyHeader, body(isTarget, indent, bytesMode))
          .map(([header, items]) => ({ isTarget, items: [{ content: header, kind: "other" as Kind }, ...items] })),
      );
    const preamble = fc
      .array(fc.oneof(comment, blank, junk(bytesMode)), { maxLength: 3 })
      .map((lines) => lines.map((content): Item => ({ content, kind: "other" })));
    return fc
      .record({
        preamble,
        sections: fc.array(section, { maxLength: 4 }),
        eolStyle: fc.constantFrom("\n", "\r\n", "mixed"),
        eolPicks: fc.array(fc.nat(2), { minLength: 64, maxLength: 64 }),
        finalEol: fc.boolean(),
        bom: fc.boolean(),
      })
      .map(({ preamble, sections, eolStyle, eolPicks, finalEol, bom }): Model => {
        const items = [...preamble, ...sections.flatMap((section) => section.items)];
        const choices = bytesMode ? ["\n", "\r\n", "\r"] : ["\n", "\r\n"];
        const eols = items.map((_, i) => (eolStyle === "mixed" ? choices[eolPicks[i % 64]! % choices.length]! : eolStyle));
        // A lone CR before an empty line would make one CRLF of two lines.
        for (let i = 0; i < eols.length; i++) if (eols[i] === "\r" && (items[i + 1]?.content ?? "x") === "") eols[i] = "\n";
        if (!finalEol && eols.length > 0) eols[eols.length - 1] = "";
        const text = items.map((item, i) => item.content + eols[i]).join("");
        return { profile, items, eols, bom: bom && items.length > 0, text, hasTarget: sections.some((section) => section.isTarget) };
      });
  });
}

let serial = 0;
function newValues() {
  serial++;
  return { aws_access_key_id: `ASIANEW${serial}X`, aws_secret_access_key: `secretNEW/${serial}+k=`, aws_session_token: `tokenNEW${serial}//Zz==` };
}

/** Lines (with their endings) of byte-space text. */
function lines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r|$)/g)!.filter((line, i, all) => line !== "" || i < all.length - 1);
}

/** Checks the byte-for-byte property; returns the rewritten text (byte space, BOM excluded). */
function checkRewrite(m: Model, values: ReturnType<typeof newValues>): string {
  const bom = m.bom ? "\xef\xbb\xbf" : "";
  const out = setProfileKeysInFile(Buffer.from(bom + m.text, "latin1"), m.profile, values).toString("latin1");
  assert.ok(out.startsWith(bom), "the BOM stays first");
  const rewritten = out.slice(bom.length);
  const withoutTarget = m.items.map((item, i) => (item.kind === "target" ? "" : item.content + m.eols[i])).join("");
  const newLines = lines(rewritten).filter((line) => Object.values(values).some((v) => line.includes(v)));
  const withoutNew = lines(rewritten)
    .filter((line) => !newLines.includes(line))
    .join("");
  for (const value of Object.values(values))
    assert.ok(
      newLines.some((line) => line.includes(value)),
      `${value} written`,
    );
  for (const line of newLines)
    assert.match(line, /^[ \t]*aws_(access_key_id|secret_access_key|session_token)[ \t]*=[ \t]*\S+(\r\n|\n|\r)?$/, "a key line of ours");
  if (withoutNew === withoutTarget) return rewritten;
  const p = bytesOf(m.profile).replace(/[.[\]]/g, "\\$&");
  const added = withoutNew.slice(withoutTarget.length);
  assert.ok(
    withoutNew.startsWith(withoutTarget),
    `bytes outside the three key lines changed:\n${JSON.stringify(withoutTarget)}\n${JSON.stringify(withoutNew)}`,
  );
  // Only two additions are allowed: a line ending after a last line that had none, or a new section at the end.
  if (m.hasTarget) assert.match(added, /^(\r\n|\n)$/, `unexpected addition ${JSON.stringify(added)}`);
  else assert.match(added, new RegExp(`^(\\r\\n|\\n){0,2}\\[${p}\\](\\r\\n|\\n)$`), `unexpected addition ${JSON.stringify(added)}`);
  if (added.length <= 2) assert.ok(!/(\r\n|\n|\r)$/.test(m.text), "a line ending is only added where the last line had none");
  return rewritten;
}

test("text files: every byte outside the profile's three key lines survives, the SDK v3 reads the new values, rewriting is idempotent", async () => {
  let runs = 0;
  let sdkChecked = 0;
  await fc.assert(
    fc.asyncProperty(model(false), async (m) => {
      runs++;
      const values = newValues();
      const rewritten = checkRewrite(m, values);
      const bom = m.bom ? "\xef\xbb\xbf" : "";
      // Idempotent: a second rewrite with the same values changes nothing.
      assert.equal(setProfileKeysInFile(Buffer.from(bom + rewritten, "latin1"), m.profile, values).toString("latin1"), bom + rewritten);
      // A real consumer: the SDK's fromIni reads the profile's new values (every 4th case: it costs a file).
      if (runs % 4 === 0) {
        const file = join(dir, `sdk-${runs}`);
        writeFileSync(file, Buffer.from(bom + rewritten, "latin1"));
        const credentials = await fromIni({ profile: m.profile, filepath: file, configFilepath: join(dir, "none"), ignoreCache: true })();
        assert.equal(credentials.accessKeyId, values.aws_access_key_id);
        assert.equal(credentials.secretAccessKey, values.aws_secret_access_key);
        assert.equal(credentials.sessionToken, values.aws_session_token);
        sdkChecked++;
      }
    }),
    { numRuns: 4_000 },
  );
  assert.ok(sdkChecked >= 1_000, `${sdkChecked} files read by the SDK`);
});

test("binary files: invalid UTF-8, NUL, lone CR, BOM — every other byte survives", () => {
  fc.assert(
    fc.property(model(true), (m) => {
      checkRewrite(m, newValues());
    }),
    { numRuns: 4_000 },
  );
});

test("arbitrary text and bytes: setProfileKeys never throws, keeps the text before the profile and writes each value", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 400 }),
        fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("latin1")),
      ),
      fc.constantFrom(...PROFILES),
      (text, profile) => {
        const values = newValues();
        const out = setProfileKeys(text, profile, values);
        for (const value of Object.values(values)) assert.ok(out.includes(value));
        // Nothing before the first line that mentions the profile can change.
        const cut = text.indexOf(`[${profile}`);
        const keep = cut < 0 ? text : text.slice(0, Math.max(0, text.lastIndexOf("\n", cut) + 1));
        assert.ok(out.startsWith(keep), "the text before the profile is kept");
        assert.equal(setProfileKeys(out, profile, values), out, "idempotent");
      },
    ),
    { numRuns: 5_000 },
  );
});

test("botocore (the AWS CLI's and boto3's reader) reads the new values and every other value unchanged", (t) => {
  const python = pythonsWithBoto3()[0];
  if (!python) {
    t.skip("no python3 with botocore");
    return;
  }
  const cases: { before: string; after: string; profile: string; values: Record<string, string> }[] = [];
  fc.assert(
    fc.property(model(false), (m) => {
      const values = newValues();
      const rewritten = checkRewrite(m, values);
      const i = cases.length;
      writeFileSync(join(dir, `py-${i}-before`), Buffer.from(m.text, "latin1"));
      writeFileSync(join(dir, `py-${i}-after`), Buffer.from(rewritten, "latin1"));
      cases.push({ before: join(dir, `py-${i}-before`), after: join(dir, `py-${i}-after`), profile: m.profile, values });
    }),
    { numRuns: 1_500 },
  );
  writeFileSync(join(dir, "cases.json"), JSON.stringify(cases));
  const script = `
import configparser, json, sys
from botocore.configloader import raw_config_parse, _parse_nested
from botocore.exceptions import ConfigParseError
cases = json.load(open(sys.argv[1]))
checked = 0
for c in cases:
    try:
        before = raw_config_parse(c["before"])
    except ConfigParseError:
        continue  # the user's file was already unreadable
    profile = c["profile"]
    if profile not in before:
        # A new section inherits configparser's [DEFAULT] section, as every section does.
        cp = configparser.RawConfigParser()
        cp.read([c["before"]])
        try:
            defaults = {k: _parse_nested(v) if v.startswith("\\n") else v for k, v in cp.defaults().items()}
        except ValueError:
            continue  # a [DEFAULT] that no section could inherit either
    try:
        after = raw_config_parse(c["after"])
    except ConfigParseError as e:
        print(json.dumps({"file": c["after"], "error": str(e)})); sys.exit(1)
    got = {k: after.get(profile, {}).get(k) for k in c["values"]}
    if got != c["values"]:
        print(json.dumps({"file": c["after"], "got": got})); sys.exit(1)
    if profile not in before:
        before[profile] = defaults
    for k in c["values"]:
        before[profile][k] = c["values"][k]
    if before != after:
        print(json.dumps({"file": c["after"], "before": before, "after": after}, default=str)); sys.exit(1)
    checked += 1
print(checked)
`;
  let output: string;
  try {
    output = execFileSync(python, ["-c", script, join(dir, "cases.json")], { encoding: "utf8", env: { ...process.env, LANG: "C.UTF-8", PYTHONUTF8: "1" } });
  } catch (error) {
    const failure = `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? error}`;
    const file = /"file": "([^"]+)"/.exec(failure)?.[1];
    assert.fail(`botocore disagrees: ${failure}\n${file ? JSON.stringify(readFileSync(file.replace("-after", "-before"), "latin1")) : ""}`);
  }
  assert.ok(Number(output.trim()) >= 200, `only ${output.trim()} of ${cases.length} files were readable by botocore before the rewrite`);
});

test("writeProfile: the real file, locked and replaced atomically, keeps every other byte", async () => {
  await fc.assert(
    fc.asyncProperty(model(true), async (m) => {
      const file = join(dir, `credentials-${serial}`);
      const bom = m.bom ? "\xef\xbb\xbf" : "";
      writeFileSync(file, Buffer.from(bom + m.text, "latin1"));
      const values = newValues();
      await writeProfile(file, m.profile, {
        accessKeyId: values.aws_access_key_id,
        secretAccessKey: values.aws_secret_access_key,
        sessionToken: values.aws_session_token,
        expiration: new Date(Date.now() + 3_600_000),
      });
      const expected = setProfileKeysInFile(Buffer.from(bom + m.text, "latin1"), m.profile, values);
      assert.ok(readFileSync(file).equals(expected), "the file holds exactly the rewritten bytes");
    }),
    { numRuns: 100 },
  );
});

test("huge and pathological files are rewritten in linear time", () => {
  const values = newValues();
  const spaces = " ".repeat(200_000);
  const started = performance.now();
  for (const text of [
    `[${spaces}a\n[default]\naws_access_key_id = X\n`,
    `[default]\na${spaces}b\n${"\t".repeat(200_000)}\n`,
    `[default]\naws_session_token =${spaces}\n${spaces}x\n`,
    Array.from({ length: 100_000 }, (_, i) => `[p${i}]\nregion = r${i}\n`).join(""),
    `[default]\n${"x = 1\n".repeat(200_000)}`,
  ]) {
    const out = setProfileKeys(text, "default", values);
    assert.ok(out.includes(values.aws_session_token));
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 5_000, `took ${Math.round(elapsed)} ms`);
});

test("what the properties found, as the SDK v3 reads it: spaced headers, upper-case keys, colons, repeated profiles, CR endings", async () => {
  const values = newValues();
  const read = async (text: string, profile = "p") => {
    const file = join(dir, `found-${serial}`);
    writeFileSync(file, setProfileKeysInFile(Buffer.from(text, "latin1"), profile, values));
    return fromIni({ profile, filepath: file, configFilepath: join(dir, "none"), ignoreCache: true })();
  };
  const expected = { accessKeyId: values.aws_access_key_id, secretAccessKey: values.aws_secret_access_key, sessionToken: values.aws_session_token };
  const pick = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined }) => ({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
  });
  // "[ p ]" is the section " p " for the SDK and botocore: a "[p]" section is added, " p " is left alone.
  assert.deepEqual(pick(await read("[ p ]\naws_access_key_id = OLD\n")), expected);
  // Upper-case keys and ":" are invisible to the SDK: written as it looks them up.
  assert.deepEqual(pick(await read("[p]\nAWS_ACCESS_KEY_ID: OLD\nAws_Secret_Access_Key = OLD\nAWS_SESSION_TOKEN=OLD\n")), expected);
  // A repeated profile: the SDK merges the sections, the last one winning.
  assert.deepEqual(pick(await read("[p]\naws_access_key_id = OLD\n[q]\n[p]\naws_session_token = OLD\n")), expected);
  // An indented key under another option is part of that option's value, not a key.
  assert.deepEqual(pick(await read("[p]\ns3 =\n  aws_session_token = nested\n")), expected);
  // A lone-CR line ending on a multi-line value does not fuse with the next line's LF.
  const out = setProfileKeys("[p]\naws_session_token =\r  part\n\nregion = x\n", "p", values);
  assert.equal(
    out,
    `[p]\naws_session_token =${values.aws_session_token}\n\nregion = x\naws_access_key_id = ${values.aws_access_key_id}\naws_secret_access_key = ${values.aws_secret_access_key}\n`,
  );
});

/** New values for the profile's three keys. */
const KEYS = { aws_access_key_id: "AKNEW", aws_secret_access_key: "SECRETNEW", aws_session_token: "TOKENNEW" };

describe("setProfileKeys properties (fast-check)", () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "output", "AWS_SESSION_TOKEN"),
        fc.constantFrom("=", " = ", " =  ", ":"),
        fc.stringMatching(/^[\w+/=]{0,20}$/),
      )
      .map(([k, sep, v]) => `${k}${sep}${v}`),
    fc.stringMatching(/^[#;][ -~]{0,20}$/),
    fc.constant(""),
  );
  const file = fc
    .tuple(
      fc.uniqueArray(name, { minLength: 0, maxLength: 4 }),
      fc.array(fc.array(line, { maxLength: 5 }), { minLength: 4, maxLength: 4 }),
      fc.constantFrom("\n", "\r\n"),
      fc.boolean(),
    )
    .map(([names, bodies, eol, finalEol]) => {
      const text = names.map((n, i) => [`[${n}]`, ...bodies[i]!].join(eol)).join(eol);
      return { names, eol, text: finalEol && text ? text + eol : text };
    });

  /** The profile's keys as configparser reads them (last one wins, names lower-cased). */
  function read(text: string, profile: string): Map<string, string> {
    const keys = new Map<string, string>();
    let inside = false;
    for (const raw of text.split(/\r?\n/)) {
      const header = /^\s*\[\s*([^\]]*?)\s*\]/.exec(raw);
      if (header) {
        inside = header[1] === profile;
        continue;
      }
      const entry = /^\s*([^=:\s#;][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
      if (inside && entry) keys.set(entry[1]!.toLowerCase(), entry[2]!);
    }
    return keys;
  }

  function withoutSection(text: string, profile: string): string {
    const out: string[] = [];
    let inside = false;
    for (const raw of text.split(/\r?\n/)) {
      const header = /^\s*\[\s*([^\]]*?)\s*\]/.exec(raw);
      if (header) inside = header[1] === profile;
      if (!inside && raw !== "") out.push(raw);
    }
    return out.join("\n");
  }

  test("the profile ends up with exactly the new values; every other section is untouched; rewriting is idempotent", () => {
    fc.assert(
      fc.property(file, fc.oneof(name, fc.constant("default")), ({ text }, profile) => {
        const updated = setProfileKeys(text, profile, KEYS);
        const keys = read(updated, profile);
        assert.equal(keys.get("aws_access_key_id"), KEYS.aws_access_key_id);
        assert.equal(keys.get("aws_secret_access_key"), KEYS.aws_secret_access_key);
        assert.equal(keys.get("aws_session_token"), KEYS.aws_session_token);
        assert.equal(withoutSection(updated, profile), withoutSection(text, profile));
        assert.equal(setProfileKeys(updated, profile, KEYS), updated);
        if (text.includes("\r\n")) assert.ok(!/[^\r]\n/.test(updated), "CRLF files stay CRLF");
      }),
      { numRuns: 500 },
    );
  });
});
