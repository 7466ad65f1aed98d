import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { createRolesAnywhereFixture, http, type RolesAnywhereFixture, requireBuild, startServe } from "../../helpers/cli.js";

let f: RolesAnywhereFixture;
before(async () => {
  await requireBuild();
  // 36 s credentials: the background refresh falls between 18 and 24 s, the mandatory window starts at 24 s.
  f = await createRolesAnywhereFixture({ emulator: { lifetimeSeconds: 36 } });
});
after(() => f?.close());

test("serve keeps serving valid credentials through upstream failures, answers 503 with Retry-After only when none are valid, then recovers", async () => {
  const served = await startServe(f.args, { env: f.env });
  try {
    const token = await readFile(served.tokenFile, "utf8");
    const get = () => http(served.containerUri, { headers: { Authorization: token } });
    const first = JSON.parse((await get()).body);
    const start = Date.now();
    f.ra.inject({ status: 503, errorType: "ServiceUnavailableException", message: "upstream is down", times: 1_000_000 });

    let servedAfterFailure = false;
    let unavailable: { status: number; body: string; headers: Record<string, string | string[] | undefined> } | undefined;
    while (Date.now() - start < 45_000) {
      const failedUpstream = f.ra.requests.some((r) => r.status === 503);
      const answer = await get();
      if (answer.status === 200) {
        const json = JSON.parse(answer.body);
        assert.equal(json.AccessKeyId, first.AccessKeyId, "only the one set of credentials exists");
        assert.ok(Date.parse(json.Expiration) > Date.now(), "never expired credentials");
        if (failedUpstream) servedAfterFailure = true;
      } else {
        unavailable = answer;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(servedAfterFailure, "a background refresh failed, and the still-valid credentials kept being served");
    assert.ok(unavailable, "once no valid credentials remain, the server says so");
    assert.equal(unavailable.status, 503);
    assert.match(String(unavailable.headers["retry-after"]), /^\d+$/, "Retry-After: seconds until the next upstream attempt");
    const error = JSON.parse(unavailable.body);
    assert.equal(error.Code, "CredentialsUnavailable");
    assert.match(error.Message, /no valid credentials.*ServiceUnavailableException: upstream is down/);
    assert.ok(!unavailable.body.includes(first.SecretAccessKey));

    f.ra.clearFaults();
    let recovered = await get();
    for (const deadline = Date.now() + 15_000; recovered.status !== 200 && Date.now() < deadline; recovered = await get()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(recovered.status, 200, "recovers at the next upstream attempt (at most 10 s of backoff)");
    assert.notEqual(JSON.parse(recovered.body).AccessKeyId, first.AccessKeyId);
    assert.match(served.cli.stderr(), /cannot serve credentials/);
  } finally {
    await served.cli.stop();
  }
});
