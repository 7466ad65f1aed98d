/**
 * `--log-format json` on every command: standard error one JSON object per
 * line (time, level, event, message, fields), standard output the command's
 * answer as before; a value other than text or json refused wherever it is
 * set; text mode as it was (the library's fields are not printed).
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type CliResult,
  createIotFixture,
  createRolesAnywhereFixture,
  type IotFixture,
  parseProcessOutput,
  type RolesAnywhereFixture,
  requireBuild,
  runCli,
  startCli,
  startServe,
} from "../../helpers/cli.js";
import { type JsonLogLine, jsonLogLines } from "../../helpers/log-lines.js";

let f: RolesAnywhereFixture;
let iot: IotFixture;
before(async () => {
  await requireBuild();
  f = await createRolesAnywhereFixture();
  iot = await createIotFixture(f.dir);
});
after(async () => {
  await iot?.close();
  await f?.close();
});

/** The lines of a run in JSON mode, checked line by line; `events` must all be among them. */
function lines(result: { stderr: string }, where: string, events: string[]): JsonLogLine[] {
  const parsed = jsonLogLines(result.stderr, where);
  const seen = parsed.map((line) => line.event);
  for (const event of events) assert.ok(seen.includes(event), `${where}: ${event} among ${seen.join(", ")}`);
  return parsed;
}

function failed(result: CliResult, where: string, exitCode: number): JsonLogLine {
  assert.equal(result.code, exitCode, `${where}: ${result.stderr}`);
  const [line, ...more] = lines(result, where, ["command-failed"]);
  assert.equal(more.length, 0, `${where}: one line`);
  assert.equal(line!.level, "error");
  assert.equal(line!.exitCode, exitCode);
  return line!;
}

describe("--log-format json: one JSON object per line on standard error, for every command", () => {
  test("credential-process, cold then warm (the launcher's warm path too): library and CLI events; stdout only the answer", async () => {
    const env = { ...f.env, XDG_CACHE_HOME: join(f.dir, "json-cache") };
    const cold = await runCli(["credential-process", ...f.args, "--debug", "--log-format", "json"], { env });
    assert.equal(cold.code, 0, cold.stderr);
    parseProcessOutput(cold.stdout);
    const coldLines = lines(cold, "cold", ["refresh-started", "sigv4-signed", "refresh-succeeded", "cache-written"]);
    const succeeded = coldLines.find((line) => line.event === "refresh-succeeded")!;
    assert.equal(succeeded.mechanism, "IAM Roles Anywhere");
    assert.equal(typeof succeeded.durationMs, "number");
    assert.match(String(succeeded.expiration), /Z$/);
    const warm = await runCli(["credential-process", ...f.args, "--debug"], { env: { ...env, CERTCREDS_LOG_FORMAT: "json" } });
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(parseProcessOutput(warm.stdout).AccessKeyId, parseProcessOutput(cold.stdout).AccessKeyId, "answered from the cache");
    const [hit] = lines(warm, "warm", ["cache-hit"]);
    assert.deepEqual(Object.keys(hit!), ["time", "level", "event", "message", "expiration"]);
    // Before the command, as a global option: moved after the command's words.
    const leading = await runCli(["--log-format", "json", "credential-process", ...f.args, "--debug"], { env });
    assert.equal(leading.code, 0, leading.stderr);
    lines(leading, "leading --log-format", ["cache-hit"]);
  });

  test("credential-process over AWS IoT: the mechanism's request and answer lines", async () => {
    const result = await runCli(["credential-process", ...iot.args, "--no-cache", "--debug", "--log-format=json"], { env: f.env });
    assert.equal(result.code, 0, result.stderr);
    const parsed = lines(result, "IoT", ["refresh-started", "request-sent", "credentials-obtained", "refresh-succeeded"]);
    const obtained = parsed.find((line) => line.event === "credentials-obtained")!;
    assert.equal(obtained.level, "info");
    assert.equal(obtained.roleAlias, iot.roleAlias);
    assert.equal(obtained.accessKeyId, parseProcessOutput(result.stdout).AccessKeyId);
  });

  test("serve: serve-listening and serve-stopping; stdout only the export lines", async () => {
    const served = await startServe([...f.args, "--debug", "--log-format", "json"], { env: f.env });
    await served.cli.waitForError(/"event":"serve-listening"/);
    const stopped = await served.cli.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^(export AWS_[A-Z0-9_]+=\S+\n)+(# [^\n]+\n)*$/, `the export lines, no log line: ${JSON.stringify(stopped.stdout)}`);
    const parsed = lines(stopped, "serve", ["serve-listening", "serve-stopping"]);
    assert.equal(parsed.find((line) => line.event === "serve-stopping")!.signal, "SIGTERM");
  });

  test("update --once: update-written; credential-process --no-verify-ssl: insecure-tls", async () => {
    const result = await runCli(["update", ...f.args, "--once", "--log-format", "json"], { env: f.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "");
    const [written] = lines(result, "update", ["update-written"]);
    assert.equal(written!.profile, "default");
    assert.equal(written!.level, "info");
    const insecure = await runCli(["credential-process", ...f.args, "--no-cache", "--no-verify-ssl", "--log-format", "json"], { env: f.env });
    assert.equal(insecure.code, 0, insecure.stderr);
    const [warning] = lines(insecure, "--no-verify-ssl", ["insecure-tls"]);
    assert.equal(warning!.level, "warn");
  });

  test("configure: profile-shadowed", async () => {
    const config = join(f.dir, "aws-config-json");
    await writeFile(config, "[profile shadowed]\nrole_arn = arn:aws:iam::123456789012:role/other\n");
    const result = await runCli(["configure", "--profile", "shadowed", ...f.args, "--log-format", "json"], { env: { ...f.env, AWS_CONFIG_FILE: config } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^certcreds configure: wrote \[profile shadowed\]/);
    const [line] = lines(result, "configure", ["profile-shadowed"]);
    assert.equal(line!.level, "warn");
    assert.equal(line!.profile, "shadowed");
  });

  test("every other command and the top level: its failure is one command-failed line with code and exit code", async () => {
    const config = join(f.dir, "no-mechanism.ini");
    await writeFile(config, "[p]\ncertificate = x.pem\n");
    const runs: [string, string[], number, string | undefined][] = [
      ["sign-string", ["sign-string", "--private-key", f.keyFile, "--string", "x", "--format", "hex", "--log-format", "json"], 2, "sign-string"],
      ["read-certificate-data", ["read-certificate-data", "--certificate", join(f.dir, "missing.pem"), "--log-format", "json"], 3, "read-certificate-data"],
      ["doctor", ["doctor", "--certificate", f.certFile, "--log-format", "json"], 2, "doctor"],
      ["cache clear", ["cache", "clear", "--no-such-flag", "--log-format", "json"], 2, "cache clear"],
      ["configure", ["configure", ...f.args, "--log-format", "json"], 2, "configure"],
      ["emulate", ["emulate", "--log-format", "json"], 2, "emulate"],
      ["demo", ["demo", "--bogus", "--log-format", "json"], 2, "demo"],
      ["an unknown command", ["bogus", "--log-format", "json"], 2, undefined],
      ["an unparsable command line, format from the variable", ["serve", "--port"], 2, "serve"],
      ["a config-file mistake", ["credential-process", "--config-file", config, "--profile-name", "nope", "--log-format", "json"], 3, "credential-process"],
    ];
    const results = await Promise.all(runs.map(([, args]) => runCli(args, { env: { ...f.env, CERTCREDS_LOG_FORMAT: "json" } })));
    for (const [i, [where, , code, command]] of runs.entries()) {
      const line = failed(results[i]!, where, code);
      assert.equal(line.command, command, `${where}: command`);
      assert.equal(results[i]!.stdout, "", `${where}: nothing on stdout`);
    }
    assert.equal(failed(results[1]!, "read-certificate-data", 3).code, "ERR_CERTCREDS_INPUT_READ");
  });

  test("help pages go to standard output, standard error stays empty", async () => {
    for (const args of [["--help"], ["--log-format", "json"], ["serve", "--help"], ["cache", "--help"]]) {
      const result = await runCli([...args, "--log-format", "json"], { env: f.env });
      assert.match(result.stdout, /certcreds/);
      assert.equal(result.stderr, "", args.join(" "));
    }
  });

  test("emulate: its stopping line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certcreds-emulate-json-"));
    try {
      const emulate = startCli(["emulate", "--dir", join(dir, "world"), "--log-format", "json"], { env: { HOME: dir } });
      await emulate.waitForOutput(/Try, in another shell/, 30_000);
      const stopped = await emulate.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      const [line] = lines(stopped, "emulate", ["emulate-stopping"]);
      assert.equal(line!.signal, "SIGTERM");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("--log-format values", () => {
  test("anything but text or json is a usage error naming where it was set and the values accepted", async () => {
    const config = join(f.dir, "format.ini");
    await writeFile(config, "[fmt]\nlog-format = logfmt\n");
    const env = { ...f.env, XDG_CACHE_HOME: join(f.dir, "format-cache") };
    // A fresh cache entry first: the warm path must not answer around the refusal.
    assert.equal((await runCli(["credential-process", ...f.args], { env })).code, 0);
    const runs: [string[], Record<string, string>, RegExp][] = [
      [
        ["credential-process", ...f.args, "--log-format", "yaml"],
        {},
        /^certcreds credential-process: --log-format "yaml" is not a log format: use text or json\.\n$/,
      ],
      [["serve", ...f.args], { CERTCREDS_LOG_FORMAT: "xml" }, /^certcreds serve: CERTCREDS_LOG_FORMAT "xml" is not a log format: use text or json\.\n$/],
      [
        ["sign-string", "--private-key", f.keyFile, "--string", "x", "--config-file", config, "--profile-name", "fmt"],
        {},
        /^certcreds sign-string: log-format in profile \[fmt\] of \S+format\.ini "logfmt" is not a log format: use text or json\.\n$/,
      ],
      [["cache", "clear", "--log-format="], {}, /^certcreds cache clear: --log-format "" is not a log format: use text or json\.\n$/],
      [
        ["emulate", "--dir", join(f.dir, "never"), "--log-format", "JSONL"],
        {},
        /^certcreds emulate: --log-format "JSONL" is not a log format: use text or json\.\n$/,
      ],
      [["demo"], { CERTCREDS_LOG_FORMAT: "pretty" }, /^certcreds demo: CERTCREDS_LOG_FORMAT "pretty" is not a log format: use text or json\.\n$/],
    ];
    const results = await Promise.all(runs.map(([args, extra]) => runCli(args, { env: { ...env, ...extra } })));
    for (const [i, [args, , message]] of runs.entries()) {
      assert.equal(results[i]!.code, 2, `${args[0]}: ${results[i]!.stderr}`);
      assert.match(results[i]!.stderr, message);
      assert.equal(results[i]!.stdout, "", `${args[0]}: no answer`);
    }
    assert.deepEqual(await readdir(join(f.dir, "never")).catch(() => "absent"), "absent", "emulate refused before writing");
    // Case and spaces do not matter; the flag wins over the variable.
    const upper = await runCli(["credential-process", ...f.args, "--log-format", " JSON ", "--debug"], { env: { ...env, CERTCREDS_LOG_FORMAT: "text" } });
    assert.equal(upper.code, 0, upper.stderr);
    lines(upper, "--log-format ' JSON '", ["cache-hit"]);
  });
});

describe("text mode as it was", () => {
  test("a failure is the same one line; library lines are `certcreds <level>: message`, their fields not printed", async () => {
    const failure = await runCli(["credential-process", ...f.args, "--bogus"], { env: f.env });
    assert.equal(failure.code, 2);
    assert.equal(
      failure.stderr,
      'certcreds credential-process: unknown option --bogus for "certcreds credential-process". Run "certcreds credential-process --help" for its options.\n',
    );
    const explicit = await runCli(["credential-process", ...f.args, "--bogus", "--log-format", "text"], { env: f.env });
    assert.equal(explicit.stderr, failure.stderr);
    const debug = await runCli(["credential-process", ...f.args, "--no-cache", "--debug"], { env: f.env });
    assert.equal(debug.code, 0, debug.stderr);
    const textLines = debug.stderr.trimEnd().split("\n");
    assert.ok(
      textLines.some((line) => /^certcreds debug: IAM Roles Anywhere credentials obtained, expire at \S+Z, next refresh at \S+Z$/.test(line)),
      debug.stderr,
    );
    assert.doesNotMatch(debug.stderr, /\{ event: |"event"/, "no fields object in text mode");
    const update = await runCli(["update", ...f.args, "--once"], { env: f.env });
    assert.match(update.stderr, /^certcreds update: profile \[default\] of \S+credentials holds credentials valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });
});
