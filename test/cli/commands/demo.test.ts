import assert from "node:assert/strict";
import { before, test } from "node:test";
import { requireBuild, runCli } from "../../helpers/cli.js";

before(requireBuild);

test("demo --help prints its help instead of running the demo; an unknown argument is a usage error", async () => {
  const help = await runCli(["demo", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^certcreds demo — /);
  assert.match(help.stdout, /Usage: certcreds demo/);
  assert.doesNotMatch(help.stdout, /Credentials via/, "the demo did not run");
  const wrong = await runCli(["demo", "--port", "1"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /unknown argument "--port": the demo takes only --log-format/);
});
