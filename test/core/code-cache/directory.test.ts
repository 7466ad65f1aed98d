import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { codeCacheSetting } from "../../../src/core/code-cache/directory.js";

test("CERTCREDS_CODE_CACHE names the directory, or turns the cache off", () => {
  assert.deepEqual(codeCacheSetting({ CERTCREDS_CODE_CACHE: "/var/cache/certcreds" }), { directory: "/var/cache/certcreds" });
  for (const off of ["off", "OFF", "0", "false", "no", " off "]) assert.deepEqual(codeCacheSetting({ CERTCREDS_CODE_CACHE: off }), { off: true }, off);
});

test("a relative CERTCREDS_CODE_CACHE is refused (it would be another directory from each working directory), and said so", () => {
  assert.deepEqual(codeCacheSetting({ CERTCREDS_CODE_CACHE: "cache" }), { off: true, invalid: "cache" });
});

test("without it: $XDG_CACHE_HOME/certcreds/code when absolute, else ~/.cache/certcreds/code", { skip: process.platform === "win32" }, () => {
  assert.deepEqual(codeCacheSetting({ XDG_CACHE_HOME: "/xdg" }), { directory: join("/xdg", "certcreds", "code") });
  assert.deepEqual(codeCacheSetting({ XDG_CACHE_HOME: "relative", HOME: "/home/device" }), { directory: join("/home/device", ".cache", "certcreds", "code") });
  // Without $HOME, the account's home directory.
  assert.deepEqual(codeCacheSetting({}), { directory: join(homedir(), ".cache", "certcreds", "code") });
});

test("without $HOME and with no home directory to find (a container's uid without a passwd entry): no cache, no error", {
  skip: process.platform === "win32",
}, () => {
  const noHome = () => {
    throw Object.assign(new Error("ENOENT: no such file or directory, uv_os_homedir"), { code: "ERR_SYSTEM_ERROR" });
  };
  assert.deepEqual(codeCacheSetting({}, noHome), { off: true });
  assert.deepEqual(codeCacheSetting({ XDG_CACHE_HOME: "/xdg" }, noHome), { directory: join("/xdg", "certcreds", "code") });
});
