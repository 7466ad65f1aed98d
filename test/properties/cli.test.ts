/**
 * Property-based tests for the command line's front half: the argument
 * parser, `CERTCREDS_*` variables, the config file and its profiles, and the
 * one-line error report. Generated argv, environments and config files give
 * Settings that follow "flag > environment > profile", or a UsageError
 * (exit 2) / CliConfigurationError (exit 3) printed as one bounded line —
 * never an untyped throw, a stack trace, a hang or unbounded memory. A few
 * dozen runs of the real program close the loop.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { envName, FLAGS, type FlagName } from "../../src/cli/config/flags.js";
import { REFUSED_KEY_SOURCE_FLAGS } from "../../src/cli/config/key-inputs.js";
import { parseIni } from "../../src/cli/config/ini.js";
import { selectMechanism } from "../../src/cli/config/mechanism.js";
import { parseArgs } from "../../src/cli/config/parse-args.js";
import { reportError } from "../../src/cli/output/report-error.js";
import { resolveSettings, type Settings } from "../../src/cli/config/settings.js";
import { CliConfigurationError, UsageError } from "../../src/cli/output/usage-error.js";
import { COMMAND_FLAGS } from "../../src/cli/registry.js";
import { requireBuild, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "certcreds-cli-props-"));
const emptyXdg = join(dir, "xdg-empty");
mkdirSync(emptyXdg);
after(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = Object.keys(COMMAND_FLAGS);
const ALL_FLAGS = Object.keys(FLAGS) as FlagName[];
const CREDENTIAL_COMMANDS = new Set(["credential-process", "serve", "update", "doctor"]);

/** What `certcreds <command>` prints for an error, captured in-process: exit code and standard error. */
function reported(error: unknown, command: string): { code: number; stderr: string } {
  const write = process.stderr.write;
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: reportError(error, command, false), stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** One line, ending in a newline, bounded, no stack trace, no control characters (which a terminal would obey). */
function assertOneLine(stderr: string, context: string): void {
  assert.ok(stderr.endsWith("\n"), `${context}: ends with a newline`);
  const body = stderr.slice(0, -1);
  assert.doesNotMatch(body, /[\r\n\u2028\u2029\u0085]/, `${context}: one line: ${JSON.stringify(body.slice(0, 300))}`);
  assert.doesNotMatch(body, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `${context}: no control characters: ${JSON.stringify(body.slice(0, 300))}`);
  assert.doesNotMatch(body, /\n\s+at |\bat .*\.(js|ts|mjs|cjs):\d+/, `${context}: no stack trace`);
  assert.ok(body.length <= 2_000, `${context}: ${body.length} characters`);
}

/** The front half of `certcreds <command>`: flags, environment, config file, mechanism. */
function frontHalf(command: string, argv: string[], env: NodeJS.ProcessEnv): Settings | { code: number; stderr: string } {
  try {
    const parsed = parseArgs(command, argv);
    if (parsed.help) return { code: 0, stderr: "" };
    const settings = resolveSettings(command, parsed, env);
    if (CREDENTIAL_COMMANDS.has(command)) selectMechanism(settings);
    return settings;
  } catch (error) {
    assert.ok(error instanceof UsageError || error instanceof CliConfigurationError, `untyped error: ${(error as Error)?.name}: ${(error as Error)?.message}`);
    const report = reported(error, command);
    assert.equal(report.code, error instanceof UsageError ? 2 : 3);
    assertOneLine(report.stderr, `${command} ${JSON.stringify(argv).slice(0, 200)}`);
    return report;
  }
}

// ---------------------------------------------------------------------------
// Generators

/** Values a user (or an attacker) may type: paths, numbers, booleans, unicode, control characters, huge. */
const value = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "/etc/certcreds/device.pem",
      "~/device.pem",
      "relative/key.pem",
      "env:KEY_PEM",
      "-",
      "pkcs11:object=k",
      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x",
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom("0", "1", "-1", "3600", " 900 ", "21601", "99999999999999999999999", "1e3", "0x10", "3.5", "", " ") },
  { weight: 2, arbitrary: fc.constantFrom("true", "FALSE", "yes", "off", "maybe", "1", "0", "on") },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("a\nb", "a\r\nb", "x\ry", "\u001b[31mred\u001b[0m", "tab\there", "line\u2028sep", "nul\u0000x", "é\u0301", "🙂", "\u202e evil"),
  },
  { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => "x".repeat(n)) },
);

const flagOf = (command: string) => fc.constantFrom(...(COMMAND_FLAGS[command] as FlagName[]));

/** A command-line token soup: flags of this and other commands, typos, forms with "=", stray words, help. */
const argvFor = (command: string) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.tuple(flagOf(command), value).map(([f, v]) => [`--${f}`, v]) },
        { weight: 3, arbitrary: fc.tuple(flagOf(command), value).map(([f, v]) => [`--${f}=${v}`]) },
        { weight: 2, arbitrary: flagOf(command).map((f) => [`--${f}`]) },
        { weight: 1, arbitrary: fc.constantFrom(...ALL_FLAGS).map((f) => [`--${f}`, "v"]) },
        { weight: 1, arbitrary: fc.tuple(flagOf(command), fc.nat()).map(([f, n]) => [`--${f.slice(0, n % f.length) + f.slice((n % f.length) + 1)}`, "v"]) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map((s) => [`--${s}`]) },
        { weight: 1, arbitrary: value.map((v) => [v]) },
        { weight: 1, arbitrary: fc.constantFrom(["--"], ["-"], ["-h"], ["--help"], ["--="], ["---x"], ["--certificate"], ["-certificate", "x"]) },
      ),
      { maxLength: 8 },
    )
    .map((tokens) => tokens.flat());

const envFor = (command: string) =>
  fc
    .array(fc.tuple(fc.oneof(flagOf(command).map(envName), fc.constantFrom("CERTCREDS_BOGUS", "CERTCREDS_", "certcreds_region")), value), { maxLength: 5 })
    .map((pairs) => Object.fromEntries(pairs) as Record<string, string>);

/** INI text: sections (any names), keys (flags, spelled any way, unknown, forbidden in a profile), comments, junk, any line endings, BOM. */
const iniText = fc
  .record({
    bom: fc.boolean(),
    eol: fc.constantFrom("\n", "\r\n", "\r"),
    lines: fc.array(
      fc.oneof(
        {
          weight: 2,
          arbitrary: fc
            .oneof(fc.constantFrom("default", "device", "profile device", " spaced ", "ünï", "", "a]b"), fc.string({ maxLength: 12 }))
            .map((n) => `[${n}]`),
        },
        {
          weight: 5,
          arbitrary: fc
            .tuple(
              fc.oneof(
                fc.constantFrom(...ALL_FLAGS),
                fc.constantFrom(...ALL_FLAGS).map((f) => f.replace(/-/g, "_").toUpperCase()),
                fc.constantFrom("trust-anchor", "bogus", "__proto__", "constructor"),
              ),
              fc.constantFrom("=", " = ", "=  ", ":"),
              value,
            )
            .map(([k, sep, v]) => `${k}${sep}${v.replace(/[\r\n]/g, "")}`),
        },
        { weight: 1, arbitrary: fc.constantFrom("# comment", "; comment", "", "   ", "junk without equals", "=value", "[unclosed") },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, "")) },
      ),
      { maxLength: 12 },
    ),
  })
  .map(({ bom, eol, lines }) => `${bom ? "\uFEFF" : ""}${lines.join(eol)}`);

let fileSerial = 0;
function writeConfig(text: string): string {
  const file = join(dir, `config-${++fileSerial}.ini`);
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------
// Properties

test("hostile command lines, environments and config files: Settings or a typed one-line error", () => {
  const outcomes = { settings: 0, usage: 0, configuration: 0 };
  fc.assert(
    fc.property(
      fc.constantFrom(...COMMANDS).chain((command) =>
        fc.record({
          command: fc.constant(command),
          argv: argvFor(command),
          env: envFor(command),
          config: fc.option(iniText),
          configVia: fc.constantFrom("flag", "env"),
          profileName: fc.option(fc.oneof(fc.constantFrom("default", "device", "absent", " spaced ", "profile device"), value)),
        }),
      ),
      ({ command, argv, env, config, configVia, profileName }) => {
        const fullEnv: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: emptyXdg, ...env };
        const args = [...argv];
        if (config !== null) {
          const file = writeConfig(config);
          if (configVia === "flag") args.push("--config-file", file);
          else fullEnv.CERTCREDS_CONFIG_FILE = file;
        }
        if (profileName !== null) args.push(`--profile-name=${profileName}`);
        const result = frontHalf(command, args, fullEnv);
        if ("code" in result) outcomes[result.code === 2 ? "usage" : result.code === 3 ? "configuration" : "settings"]++;
        else outcomes.settings++;
      },
    ),
    { numRuns: 5_000 },
  );
  // Hostile input mostly fails; the well-formed property below covers the successes.
  assert.ok(outcomes.usage > 200 && outcomes.configuration > 200 && outcomes.settings > 30, JSON.stringify(outcomes));
});

/** A value that converts for the flag's kind, with what the Settings must hold. */
function validValue(name: FlagName) {
  const kind = FLAGS[name].kind;
  if (kind === "boolean")
    return fc.constantFrom(
      ["true", true],
      ["1", true],
      ["YES", true],
      [" on ", true],
      ["", true],
      ["false", false],
      ["0", false],
      ["Off", false],
    ) as fc.Arbitrary<[string, boolean]>;
  if (kind === "integer") return fc.integer({ min: -5, max: 70_000 }).chain((n) => fc.constantFrom<[string, number]>([String(n), n], [` ${n} `, n]));
  return fc
    .oneof(
      fc.constantFrom("/abs/path/file.pem", "relative/file.pem", "~/home-file.pem", "env:VAR", "-", "pkcs11:object=k", "arn:aws:x", "us-east-1", "a b c", "é"),
      fc.stringMatching(/^[A-Za-z0-9/._:-]{1,20}$/),
    )
    .map((v): [string, string] => [v, v]);
}

/** What a string value becomes once read: `~/` expanded, a profile's relative paths resolved against its file's directory. */
function expectedString(name: FlagName, raw: string, source: "flag" | "env" | "profile", configDir: string): string {
  if (!(FLAGS[name] as { path?: boolean }).path) return raw;
  if (raw === "-" || raw.startsWith("env:") || raw.startsWith("pkcs11:") || raw.includes("-----BEGIN")) return raw;
  if (raw === "~" || raw.startsWith("~/")) return join(homedir(), raw.slice(1));
  if (source === "profile" && !isAbsolute(raw)) return resolve(configDir, raw);
  return raw;
}

test("well-formed inputs: every setting comes from the flag, else the variable, else the profile, converted", () => {
  const sources = { flag: 0, env: 0, profile: 0 };
  fc.assert(
    fc.property(
      fc.constantFrom(...COMMANDS).chain((command) => {
        // Flags refused when set (AWS's certificate-store flags) have their own test (test/identity/sources/cert-store/).
        const refused = REFUSED_KEY_SOURCE_FLAGS.map(([name]) => name as FlagName);
        const names = (COMMAND_FLAGS[command] as FlagName[]).filter((n) => n !== "profile-name" && n !== "config-file" && !refused.includes(n));
        const setting = fc.constantFrom(...names).chain((name) => validValue(name).map(([raw, converted]) => ({ name, raw, converted })));
        return fc.record({
          command: fc.constant(command),
          flags: fc.array(fc.tuple(setting, fc.constantFrom("space", "equals")), { maxLength: 6 }),
          env: fc.array(setting, { maxLength: 6 }),
          profile: fc.array(fc.tuple(setting, fc.constantFrom("=", " = ", "\t=  "), fc.boolean(), fc.boolean()), { maxLength: 6 }),
          section: fc.constantFrom("default", "device", "ünï"),
          eol: fc.constantFrom("\n", "\r\n"),
          bom: fc.boolean(),
        });
      }),
      ({ command, flags, env, profile, section, eol, bom }) => {
        // A boolean flag takes its value only after "=" (a word after it is a stray argument).
        const argv = flags.flatMap(([s, form]) => (form === "equals" || FLAGS[s.name].kind === "boolean" ? [`--${s.name}=${s.raw}`] : [`--${s.name}`, s.raw]));
        const lines = [
          `[${section}]`,
          "# written by the test",
          ...profile.map(
            ([s, sep, underscore, quoted]) => `${underscore ? s.name.replace(/-/g, "_").toUpperCase() : s.name}${sep}${quoted ? `"${s.raw}"` : s.raw}`,
          ),
          "[other]",
          "region = elsewhere",
        ];
        const file = writeConfig(`${bom ? "\uFEFF" : ""}${lines.join(eol)}${eol}`);
        const fullEnv: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: emptyXdg };
        for (const s of env) if (s.raw !== "") fullEnv[envName(s.name)] = s.raw;
        const settings = resolveSettings(command, parseArgs(command, [...argv, "--config-file", file, "--profile-name", section]), fullEnv);
        assert.equal(settings.profileName, section);

        const last = <T extends { name: FlagName }>(list: T[], name: FlagName) => list.filter((s) => s.name === name).at(-1);
        for (const name of COMMAND_FLAGS[command] as FlagName[]) {
          if (name === "profile-name" || name === "config-file") continue;
          const fromFlag = last(
            flags.map(([s]) => s),
            name,
          );
          const fromEnv = last(
            env.filter((s) => s.raw !== ""),
            name,
          );
          // A profile value that is quoted, or blank, reads as what parseIni keeps.
          const fromProfile = last(
            profile.map(([s]) => s),
            name,
          );
          const chosen = fromFlag ? ["flag", fromFlag] : fromEnv ? ["env", fromEnv] : fromProfile ? ["profile", fromProfile] : undefined;
          if (!chosen) {
            assert.equal(settings.has(name), false, `${name} is unset`);
            continue;
          }
          const [source, s] = chosen as ["flag" | "env" | "profile", { raw: string; converted: string | number | boolean }];
          sources[source]++;
          assert.equal(settings.source(name), source, `${name} comes from the ${source}`);
          const kind = FLAGS[name].kind;
          // parseIni trims values; the flag and the variable keep them.
          const raw = source === "profile" ? s.raw.trim() : s.raw;
          if (kind === "boolean") assert.equal(settings.boolean(name), s.converted, `${name} = ${JSON.stringify(s.raw)}`);
          else if (kind === "integer") assert.equal(settings.integer(name), s.converted, `${name} = ${JSON.stringify(s.raw)}`);
          else assert.equal(settings.string(name), expectedString(name, raw, source, dir), `${name} = ${JSON.stringify(s.raw)}`);
        }
      },
    ),
    { numRuns: 3_000 },
  );
  for (const [source, count] of Object.entries(sources)) assert.ok(count > 500, `${source}: only ${count} settings`);
});

test("parseIni: arbitrary text never throws; generated files read back as written (last value wins, sections merge)", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 500 }), iniText), (text) => {
      const sections = parseIni(text);
      for (const [, entries] of sections) for (const [key] of entries) assert.equal(key, key.toLowerCase().replace(/_/g, "-"));
    }),
    { numRuns: 5_000 },
  );
  const name = fc.stringMatching(/^[a-z][a-z0-9 .-]{0,10}[a-z0-9]$/);
  const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/);
  const val = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/).filter((v) => !/^["']/.test(v) && !/["']$/.test(v));
  fc.assert(
    fc.property(
      fc.array(fc.tuple(name, fc.array(fc.tuple(key, val, fc.constantFrom("=", " = ", "\t=\t")), { maxLength: 5 })), { maxLength: 5 }),
      fc.constantFrom("\n", "\r\n"),
      fc.constantFrom("", "profile "),
      (sections, eol, prefix) => {
        const expected = new Map<string, Map<string, string>>();
        const lines: string[] = [];
        for (const [section, entries] of sections) {
          lines.push(`[${prefix}${section}]`, "; a comment");
          const map = expected.get(section) ?? new Map<string, string>();
          expected.set(section, map);
          for (const [k, v, sep] of entries) {
            lines.push(`${k}${sep}${v}`);
            map.set(k.toLowerCase().replace(/_/g, "-"), v);
          }
        }
        assert.deepEqual(parseIni(lines.join(eol)), expected);
      },
    ),
    { numRuns: 3_000 },
  );
});

test("pathological config files: linear time, bounded reads, typed errors for what is not a config file", () => {
  const started = performance.now();
  const spaces = " ".repeat(100_000);
  for (const text of [
    `[${spaces}a\n`,
    `[profile${spaces}a\n`,
    `[${spaces}]\n`,
    `${"[a]\n".repeat(100_000)}`,
    `[a]\n${"k = v\n".repeat(200_000)}`,
    `[a]\nk =${spaces}\n`,
  ]) {
    parseIni(text);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 3_000, `parseIni took ${Math.round(elapsed)} ms`);

  const huge = join(dir, "huge.ini");
  writeFileSync(huge, `[default]\nregion = us-east-1\n${"# padding\n".repeat(2_000_000)}`);
  const many = join(dir, "many-sections.ini");
  writeFileSync(many, Array.from({ length: 50_000 }, (_, i) => `[s${i}]`).join("\n"));
  const fifo = join(dir, "fifo");
  let hasFifo = false;
  try {
    execFileSync("mkfifo", [fifo]);
    hasFifo = true;
  } catch {
    /* no mkfifo: that case is skipped */
  }
  const cases: [string, string[]][] = [
    ["a directory", ["--config-file", dir]],
    ["a 20 MB file", ["--config-file", huge]],
    ["a file of 50,000 sections, asking for another", ["--config-file", many, "--profile-name", "absent"]],
    ["/dev/zero", ["--config-file", "/dev/zero"]],
    ...(hasFifo ? ([["a FIFO nobody writes to", ["--config-file", fifo]]] as [string, string[]][]) : []),
  ];
  for (const [what, argv] of cases) {
    const t0 = performance.now();
    const result = frontHalf("credential-process", argv, { XDG_CONFIG_HOME: emptyXdg });
    assert.ok("code" in result && result.code === 3, `${what}: a configuration error`);
    assert.ok(performance.now() - t0 < 2_000, `${what}: answered in ${Math.round(performance.now() - t0)} ms`);
  }
  // XDG_CONFIG_HOME pointing at a file: the default config path cannot be looked at.
  const notDir = join(dir, "not-a-dir");
  writeFileSync(notDir, "x");
  const result = frontHalf("credential-process", ["--trust-anchor-arn", "x"], { XDG_CONFIG_HOME: notDir });
  assert.ok(!("code" in result) || result.code === 3, "a typed error or no config file");
});

// ---------------------------------------------------------------------------
// The real program

test("the real program: generated bad command lines exit 2 or 3 with one line on stderr and no stack", { timeout: 60_000 }, async () => {
  await requireBuild();
  const config = writeConfig("[default]\nregion = us-east-1\n[bad]\nsession_duration = soon\nbogus = 1\n[nested]\nprofile-name = x\n");
  const samples = fc.sample(
    fc.record({
      argv: argvFor("credential-process").map((a) => a.filter((t) => !t.includes("\u0000")).map((t) => (t.length > 20_000 ? t.slice(0, 20_000) : t))),
      // The kernel takes no NUL in argv or environment, and no single string over 128 KiB.
      env: envFor("credential-process").map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.replace(/\u0000/g, "").slice(0, 20_000)]))),
      profile: fc.constantFrom(undefined, "default", "bad", "nested", "absent"),
    }),
    { numRuns: 40, seed: 6 },
  );
  const runs = samples.map(({ argv, env, profile }) => {
    // Never a usable identity, so nothing can reach a network: each run stops at a usage or configuration error.
    const args = [
      "credential-process",
      ...argv,
      "--certificate",
      join(dir, "no-such-certificate.pem"),
      "--config-file",
      config,
      ...(profile ? ["--profile-name", profile] : []),
    ];
    return { args, env };
  });
  // Two hand-written ones the generator may miss: a stray word and a missing value.
  runs.push({ args: ["credential-process", "stray"], env: {} }, { args: ["credential-process", "--role-arn"], env: {} });
  let index = 0;
  const results: { args: string[]; code: number | null; stderr: string }[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (index < runs.length) {
        const run = runs[index++]!;
        const result = await runCli(run.args, { env: { HOME: join(dir, "home"), XDG_CONFIG_HOME: emptyXdg, ...run.env }, timeoutMs: 20_000 });
        results.push({ args: run.args, code: result.code, stderr: result.stderr });
      }
    }),
  );
  for (const { args, code, stderr } of results) {
    const context = JSON.stringify(args).slice(0, 300);
    assert.ok(code === 2 || code === 3, `${context}: exit ${code}, stderr ${JSON.stringify(stderr.slice(0, 300))}`);
    assertOneLine(stderr, context);
    assert.match(stderr, /^certcreds credential-process: /);
  }
});
