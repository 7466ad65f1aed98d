/**
 * `certcreds serve` answers only requests whose Host is a loopback name, the
 * listen address or a name given with --allow-host, wherever it listens: a
 * web page whose name was rebound to the machine's address (DNS rebinding)
 * gets 403, with --listen too.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRolesAnywhereFixture, http, type RolesAnywhereFixture, requireBuild, runCli, startServe } from "../../helpers/cli.js";

/** The status of GET /healthz on `port` of 127.0.0.1 with the Host given. */
async function healthzWithHost(port: string, host: string): Promise<number> {
  return (await http(`http://127.0.0.1:${port}/healthz`, { headers: { Host: host } })).status;
}

/** An IPv4 address of this machine's interfaces other than loopback, if any. */
function interfaceAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return undefined;
}

describe("serve: the Host check holds wherever serve listens", () => {
  let f: RolesAnywhereFixture;
  before(async () => {
    await requireBuild();
    f = await createRolesAnywhereFixture();
  });
  after(async () => {
    await f?.close();
  });

  test("--listen 0.0.0.0: a rebound name is refused; loopback names, addresses of this machine and --allow-host names are answered", async () => {
    const served = await startServe([...f.args, "--listen", "0.0.0.0", "--allow-host", "myhost.example, Other.Example."], { env: f.env });
    try {
      const [warning] = await served.cli.waitForError(/listening on 0\.0\.0\.0:[^\n]*\n/);
      assert.match(warning, /any host that can reach this address can take these credentials/);
      assert.match(warning, /browsers on this machine/);
      assert.match(warning, /DNS rebinding/);
      assert.match(warning, /--allow-host/);
      const port = new URL(served.imdsEndpoint).port;
      for (const host of [
        "attacker.example",
        `attacker.example:${port}`,
        "127.0.0.1.attacker.example",
        "localhost.attacker.example",
        "myhost.example.attacker.example",
      ]) {
        assert.equal(await healthzWithHost(port, host), 403, `Host ${host} is refused`);
      }
      for (const host of [
        "127.0.0.1",
        `localhost:${port}`,
        "[::1]",
        `[::ffff:127.0.0.1]:${port}`,
        `0.0.0.0:${port}`,
        `myhost.example:${port}`,
        "MYHOST.EXAMPLE",
        "other.example",
      ]) {
        assert.equal(await healthzWithHost(port, host), 200, `Host ${host} is answered`);
      }
      const address = interfaceAddress();
      if (address) assert.equal(await healthzWithHost(port, `${address}:${port}`), 200, `Host ${address}, an address of this machine, is answered`);
      // The credentials themselves, not only /healthz.
      const put = await http(`http://127.0.0.1:${port}/latest/api/token`, {
        method: "PUT",
        headers: { Host: "attacker.example", "x-aws-ec2-metadata-token-ttl-seconds": "60" },
      });
      assert.equal(put.status, 403);
    } finally {
      await served.cli.stop();
    }
  });

  test("--allow-host from CERTCREDS_ALLOW_HOST and from a config-file profile", async () => {
    const fromEnv = await startServe([...f.args, "--listen", "0.0.0.0"], { env: { ...f.env, CERTCREDS_ALLOW_HOST: "env.example" } });
    try {
      const port = new URL(fromEnv.imdsEndpoint).port;
      assert.equal(await healthzWithHost(port, "env.example"), 200);
      assert.equal(await healthzWithHost(port, "profile.example"), 403);
    } finally {
      await fromEnv.cli.stop();
    }
    const config = join(f.dir, "serve-config");
    await writeFile(config, "[p]\nallow-host = profile.example\n");
    const fromProfile = await startServe([...f.args, "--config-file", config, "--profile-name", "p"], { env: f.env });
    try {
      const port = new URL(fromProfile.imdsEndpoint).port;
      assert.equal(await healthzWithHost(port, "profile.example:1234"), 200, "a name added on loopback too (e.g. one of /etc/hosts)");
      assert.equal(await healthzWithHost(port, "env.example"), 403);
    } finally {
      await fromProfile.cli.stop();
    }
  });

  test("--listen ::ffff:127.0.0.1 is loopback: no warning, and the Host check as on 127.0.0.1", async () => {
    const served = await startServe([...f.args, "--listen", "::ffff:127.0.0.1"], { env: f.env });
    try {
      assert.match(served.imdsEndpoint, /^http:\/\/\[::ffff:127\.0\.0\.1\]:\d+$/);
      const port = new URL(served.imdsEndpoint).port;
      assert.equal((await http(`${served.imdsEndpoint}/healthz`)).status, 200, "reached through its own URL");
      assert.equal(await healthzWithHost(port, "attacker.example"), 403);
      assert.equal(await healthzWithHost(port, `[::ffff:127.0.0.1]:${port}`), 200);
      assert.doesNotMatch(served.cli.stderr(), /listening on|reach this address/);
    } finally {
      await served.cli.stop();
    }
  });

  test("an --allow-host value that is no host name is a usage error", async () => {
    for (const value of ["a b", "evil.example/path", "user@host", "[::1"]) {
      const result = await runCli(["serve", ...f.args, "--port", "0", "--allow-host", `ok.example,${value}`], { env: f.env });
      assert.equal(result.code, 2, `${value}: ${result.stderr}`);
      assert.match(result.stderr, /--allow-host .* is not a host name or IP address/);
    }
  });
});
