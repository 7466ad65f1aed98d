/**
 * The Host allow-list: every spelling of a loopback host is one, a name that
 * merely contains one is not, and names are compared as browsers and
 * resolvers read them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { allowedHostsFor, canonicalHost, HostAllowList, isLoopback } from "../../../src/surfaces/local-endpoint/host-allow-list.js";
import { rawExchange, startInProcessServer } from "./in-process-server.js";

const LOOPBACK = [
  "localhost",
  "LocalHost:9911",
  "localhost.",
  "127.0.0.1",
  "127.0.0.1:9911",
  "127.8.9.10",
  "127.1",
  "[::1]",
  "[::1]:9911",
  "::1",
  "[0:0:0:0:0:0:0:1]",
  "::ffff:127.0.0.1",
  "[::ffff:127.0.0.1]:9911",
  "[::ffff:7f00:1]",
  "[::FFFF:127.1.2.3]",
];
const NOT_LOOPBACK = [
  "",
  "attacker.example",
  "127.0.0.1.attacker.example",
  "localhost.attacker.example",
  "attacker-localhost",
  "[::1].attacker",
  "[::ffff:10.0.0.1]",
  "[::ffff:128.0.0.1]",
  "0.0.0.0",
  "::",
  "10.0.0.1",
  "evil.example@127.0.0.1",
  "127.0.0.1/x",
  "127.0.0.1#x",
  "127.0.0.1?x",
  "127.0.0.1:9911:1",
  "localhost:99999",
  "127.0.0.1%00",
  "127.0.0.1 ",
  " 127.0.0.1",
  "[::1",
  "bücher.example",
];

test("loopback hosts in every spelling; names that only contain one are not", () => {
  for (const host of LOOPBACK) assert.equal(isLoopback(host), true, JSON.stringify(host));
  for (const host of NOT_LOOPBACK) assert.equal(isLoopback(host), false, JSON.stringify(host));
});

test("names compare in lower case, without port or final dot; IP literals by value", () => {
  assert.equal(canonicalHost("MyHost.Example.:80"), "myhost.example");
  assert.equal(canonicalHost("[2001:DB8:0:0:0:0:0:1]:9911"), "2001:db8::1");
  assert.equal(canonicalHost("2001:db8::1"), "2001:db8::1");
  assert.equal(canonicalHost("evil.example@127.0.0.1"), undefined);
  const list = new HostAllowList(["myhost.example", "2001:db8::1", "192.0.2.7", "not a host"]);
  for (const host of ["myhost.example", "MYHOST.example.:9911", "[2001:db8:0::1]:9911", "192.0.2.7:1", "localhost", "[::ffff:127.0.0.1]"]) {
    assert.equal(list.allows(host), true, host);
  }
  for (const host of [undefined, "", "not a host", "other.example", "myhost.example.attacker.example", "192.0.2.8", "[2001:db8::2]"]) {
    assert.equal(list.allows(host), false, String(host));
  }
});

test("the listen address is allowed; a wildcard one means this machine's addresses", () => {
  assert.deepEqual(allowedHostsFor("192.0.2.7", ["a.example"]), ["192.0.2.7", "a.example"]);
  const wildcard = new HostAllowList(allowedHostsFor("0.0.0.0"));
  assert.equal(wildcard.allows("0.0.0.0:9911"), true);
  assert.equal(wildcard.allows("attacker.example"), false);
});

test("the server refuses a rebound name with 403 whatever it was told to allow, and answers loopback names", async () => {
  for (const allowedHosts of [undefined, [], ["192.0.2.7"], ["myhost.example"]]) {
    const endpoint = await startInProcessServer({ allowedHosts });
    try {
      const ask = (host: string) => rawExchange(endpoint.port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal((await ask("attacker.example")).status, 403, JSON.stringify(allowedHosts));
      assert.match((await ask("attacker.example")).raw, /"Code":"Forbidden"/);
      assert.equal((await ask("[::ffff:127.0.0.1]:80")).status, 200);
      for (const host of allowedHosts ?? []) assert.equal((await ask(host)).status, 200, host);
      assert.equal((await rawExchange(endpoint.port, "GET /healthz HTTP/1.0\r\n\r\n")).status, 403, "no Host at all");
    } finally {
      await endpoint.close();
    }
  }
});
