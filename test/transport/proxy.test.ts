import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { ConfigurationError } from "../../src/core/errors.js";
import { bypassesProxy, resolveProxy } from "../../src/transport/proxy.js";

const envBackup = { ...process.env };
afterEach(() => {
  for (const key of ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
    if (envBackup[key] === undefined) delete process.env[key];
    else process.env[key] = envBackup[key];
  }
});

test("proxy: option, HTTPS_PROXY and NO_PROXY", () => {
  const target = new URL("https://rolesanywhere.us-east-1.amazonaws.com");
  assert.equal(resolveProxy(target, undefined), undefined);
  process.env.HTTPS_PROXY = "http://user:secret@proxy.local:3128";
  assert.equal(resolveProxy(target, undefined)?.host, "proxy.local:3128");
  assert.equal(resolveProxy(target, false), undefined);
  assert.equal(resolveProxy(target, "proxy2:8080")?.href, "http://proxy2:8080/");
  process.env.NO_PROXY = "localhost,.amazonaws.com";
  assert.ok(bypassesProxy(target));
  assert.equal(resolveProxy(target, undefined), undefined);
  process.env.NO_PROXY = "example.org:443, *.amazonaws.com:8443";
  assert.ok(!bypassesProxy(target));
  process.env.NO_PROXY = "*";
  assert.ok(bypassesProxy(target));
  assert.throws(
    () => resolveProxy(target, "ftp://user:secret@x"),
    (e: unknown) => e instanceof ConfigurationError && !e.message.includes("secret"),
  );
});
