import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkError } from "../../src/core/errors.js";
import { sendRequest } from "../../src/transport/http-request.js";

test("DNS failure: typed dns error naming the host, retried", async () => {
  const lookup = ((_host: string, _options: unknown, callback: (error: Error) => void) =>
    callback(Object.assign(new Error("getaddrinfo ENOTFOUND rolesanywhere.nowhere.example"), { code: "ENOTFOUND" }))) as never;
  await assert.rejects(
    sendRequest({ url: new URL("https://rolesanywhere.nowhere.example/sessions"), method: "POST", headers: {}, body: "{}", timeoutMs: 1000, lookup }),
    (e: unknown) => e instanceof NetworkError && e.kind === "dns" && e.retryable && /rolesanywhere\.nowhere\.example/.test(e.message),
  );
});
