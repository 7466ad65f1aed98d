import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { setProfileKeys } from "../../../src/surfaces/credentials-file/credentials-file.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, runCli, startCli } from "../../helpers/cli.js";
import { assertNoSecrets, pemBodyLines } from "../../helpers/log-capture.js";

const KEYS = { aws_access_key_id: "AKNEW", aws_secret_access_key: "SECRETNEW", aws_session_token: "TOKENNEW" };

describe("setProfileKeys: only the profile's three keys change", () => {
  test("replaces values in place, keeping comments, spacing, other keys and other profiles", () => {
    const text = [
      "# my credentials",
      "[default]",
      "aws_access_key_id=AKOLD",
      "aws_secret_access_key   =   OLD ; not a comment in values",
      "region = eu-west-1",
      "AWS_SESSION_TOKEN = OLDTOKEN",
      "",
      "[other]",
      "aws_access_key_id = KEEP",
      "aws_secret_access_key = KEEP",
      "",
    ].join("\n");
    assert.equal(
      setProfileKeys(text, "default", KEYS),
      [
        "# my credentials",
        "[default]",
        "aws_access_key_id=AKNEW",
        "aws_secret_access_key   =   SECRETNEW",
        "region = eu-west-1",
        "aws_session_token = TOKENNEW",
        "",
        "[other]",
        "aws_access_key_id = KEEP",
        "aws_secret_access_key = KEEP",
        "",
      ].join("\n"),
    );
  });

  test("adds missing keys after the profile's last entry, with the file's line endings", () => {
    const text = "[a]\r\nx = 1\r\n\r\n[device]\r\naws_access_key_id = OLD\r\n; trailing comment\r\n\r\n[z]\r\ny = 2\r\n";
    assert.equal(
      setProfileKeys(text, "device", KEYS),
      "[a]\r\nx = 1\r\n\r\n[device]\r\naws_access_key_id = AKNEW\r\naws_secret_access_key = SECRETNEW\r\naws_session_token = TOKENNEW\r\n; trailing comment\r\n\r\n[z]\r\ny = 2\r\n",
    );
  });

  test("appends a missing profile; works on an empty file and on a file without a final newline", () => {
    assert.equal(setProfileKeys("", "p", KEYS), "[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n");
    assert.equal(
      setProfileKeys("[a]\nx = 1", "p", KEYS),
      "[a]\nx = 1\n\n[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
    assert.equal(
      setProfileKeys("[p]\nregion = us-east-1", "p", KEYS),
      "[p]\nregion = us-east-1\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
    assert.equal(setProfileKeys("[p]\n", "p", KEYS), "[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n");
  });

  test("drops an old multi-line value's continuation lines; `[ p ]` is not `[p]`, as the SDKs read it", () => {
    const text = "[p]\naws_session_token =\n    part1\n    part2\nregion = x\n";
    assert.equal(setProfileKeys(text, "p", KEYS), "[p]\naws_session_token =TOKENNEW\nregion = x\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\n");
    const spaced = "[ p ]\naws_session_token =\n    part1\n    part2\nregion = x\n";
    assert.equal(
      setProfileKeys(spaced, "p", KEYS),
      "[ p ]\naws_session_token =\n    part1\n    part2\nregion = x\n\n[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
  });

  test("a profile named like another's prefix is not confused with it", () => {
    const text = "[dev]\naws_access_key_id = DEV\n[development]\naws_access_key_id = KEEP\n";
    assert.equal(
      setProfileKeys(text, "dev", KEYS),
      "[dev]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n[development]\naws_access_key_id = KEEP\n",
    );
  });
});

describe("setProfileKeys properties (fast-check)", () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const line = fc.oneof(
    fc.tuple(fc.constantFrom("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "output", "AWS_SESSION_TOKEN"), fc.constantFrom("=", " = ", " =  ", ":"), fc.stringMatching(/^[\w+/=]{0,20}$/)).map(([k, sep, v]) => `${k}${sep}${v}`),
    fc.stringMatching(/^[#;][ -~]{0,20}$/),
    fc.constant(""),
  );
  const file = fc
    .tuple(fc.uniqueArray(name, { minLength: 0, maxLength: 4 }), fc.array(fc.array(line, { maxLength: 5 }), { minLength: 4, maxLength: 4 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
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

describe("certcreds update", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 4 } });
  });
  after(() => f?.close());

  test("--once writes the profile into ~/.aws/credentials (0600, directory 0700)", async () => {
    const result = await runCli(["update", ...f.args, "--once", "--debug"], { env: f.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /profile \[default\] of .*credentials holds credentials valid until/);
    const file = join(f.home, ".aws", "credentials");
    const text = await readFile(file, "utf8");
    const id = /aws_access_key_id = (\S+)/.exec(text)?.[1];
    assert.ok(id && f.ra.issued.get(id));
    const issued = f.ra.issued.get(id)!;
    assertNoSecrets([result.stderr, result.stdout], [issued.secretAccessKey, issued.sessionToken, ...pemBodyLines(f.device.privateKeyPem)]);
    assert.equal(/aws_secret_access_key = (\S+)/.exec(text)?.[1], f.ra.issued.get(id)!.secretAccessKey);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(f.home, ".aws"))).mode & 0o777, 0o700);
  });

  test("AWS_SHARED_CREDENTIALS_FILE: every other byte survives", async () => {
    const file = join(f.dir, "shared-credentials");
    const others = "# managed by hand\r\n[prod]\r\naws_access_key_id = PRODKEY\r\naws_secret_access_key = PRODSECRET\r\n\r\n[device]\r\nregion = us-east-1\r\n";
    await writeFile(file, others, { mode: 0o644 });
    const result = await runCli(["update", ...f.args, "--once", "--profile", "device"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    assert.equal(result.code, 0, result.stderr);
    const text = await readFile(file, "utf8");
    const id = /aws_access_key_id = (ASIA\S+)/.exec(text)![1]!;
    const issued = f.ra.issued.get(id)!;
    assert.equal(
      text,
      `${others}aws_access_key_id = ${id}\r\naws_secret_access_key = ${issued.secretAccessKey}\r\naws_session_token = ${issued.sessionToken}\r\n`,
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test("keeps running: rewrites well before expiry, retries upstream failures, stops on SIGTERM", async () => {
    const file = join(f.dir, "running-credentials");
    const cli = startCli(["update", ...f.args, "--profile", "p"], { env: { ...f.env, AWS_SHARED_CREDENTIALS_FILE: file } });
    try {
      const idOf = async () => /aws_access_key_id = (\S+)/.exec(await readFile(file, "utf8").catch(() => ""))?.[1];
      await cli.waitForError(/valid until/);
      const first = await idOf();
      assert.ok(first);
      // Credentials live ~4 s: the next write comes at about half of that, before they expire.
      const rewritten = Date.now();
      while ((await idOf()) === first && Date.now() - rewritten < 5000) await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await idOf();
      assert.notEqual(second, first);
      assert.ok(f.ra.issued.get(second!)!.expiration.getTime() > Date.now(), "the file never holds expired credentials for long");

      f.ra.inject({ status: 500, errorType: "InternalServerException", message: "boom", times: 3 });
      await cli.waitForError(/refresh failed \(attempt 1\), retrying in \d+ s/, 8000);
      assert.equal(cli.child.exitCode, null, "a failure does not end update");
      const failedAt = Date.now();
      while ((await idOf()) === second && Date.now() - failedAt < 10_000) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.notEqual(await idOf(), second, "recovered after the upstream came back");
    } finally {
      const result = await cli.stop("SIGTERM");
      assert.equal(result.code, 0);
    }
  });
});
