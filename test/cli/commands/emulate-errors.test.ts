/**
 * `certcreds emulate` refuses a command line it cannot run: one line on
 * standard error naming the flag and the fix, exit 2 for usage, 3 for a
 * directory or port it cannot use; --help answers without starting anything.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requireBuild, runCli } from "../../helpers/cli.js";

describe("certcreds emulate: errors", () => {
  let base: string;
  before(async () => {
    await requireBuild();
    base = await mkdtemp(join(tmpdir(), "certcreds-emulate-errors-"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  async function refused(args: string[], code: number, message: RegExp): Promise<void> {
    const result = await runCli(["emulate", ...args], { env: { HOME: base }, timeoutMs: 60_000 });
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^certcreds emulate: [^\n]+\n$/, "one line");
    assert.match(result.stderr, message);
  }

  test("usage errors exit 2: no --dir, --dir without a value, a bad --port, an unknown option, a stray argument", async () => {
    await refused([], 2, /--dir is required: the directory to write the certificates, keys, env and aws-config into/);
    await refused(["--port", "9000"], 2, /--dir is required/);
    await refused(["--dir"], 2, /option --dir needs a value/);
    await refused(["--dir", "--port", "9000"], 2, /option --dir needs a value/);
    for (const port of ["abc", "65534", "-1", "9000.5", ""]) {
      await refused(
        ["--dir", join(base, "d"), `--port=${port}`],
        2,
        port === "" ? /option --port needs a value/ : /--port ".*" is not a usable first port: give a whole number 1–65533/,
      );
    }
    await refused(["--dir", join(base, "d"), "--prot", "9000"], 2, /unknown option --prot for "certcreds emulate"\. Did you mean --port\?/);
    await refused(["--dir", join(base, "d"), "extra"], 2, /unexpected argument "extra"/);
    assert.ok(!existsSync(join(base, "d")), "nothing written");
  });

  test("a --dir that is a file exits 3", async () => {
    const file = join(base, "a-file");
    await writeFile(file, "not a directory");
    await refused(["--dir", file], 3, /--dir \S+a-file is not a directory: give a directory \(it is created when missing\)/);
  });

  test("a --port whose ports are in use exits 3 (stopping the emulators that had started: else it would not exit)", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      // The port taken is the third one (STS): the first two emulators started and must be stopped again.
      await refused(
        ["--dir", join(base, "busy"), "--port", String(port - 2)],
        3,
        new RegExp(`cannot listen on ports ${port - 2}–${port} of 127\\.0\\.0\\.1 \\(in use\\): pass another --port`),
      );
    } finally {
      busy.close();
    }
  });

  test("--help prints the help page and starts nothing", async () => {
    const help = await runCli(["emulate", "--help"], { env: { HOME: base } });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^certcreds emulate — /);
    assert.match(help.stdout, /Usage: certcreds emulate --dir <dir> \[--port <port>\]/);
    assert.match(help.stdout, /certcreds-roles-anywhere and certcreds-iot/);
    assert.equal((await runCli(["emulate", "--dir", join(base, "h"), "-h"])).code, 0);
    assert.ok(!existsSync(join(base, "h")));
  });
});
