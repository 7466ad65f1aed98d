// An application a bundler packs with certcreds inside (test/packaging/bundler.test.ts): no node_modules beside it.
import { fromRolesAnywhere } from "certcreds";

const credentials = await fromRolesAnywhere(JSON.parse(process.env.CHILD_INIT))();
process.stdout.write(
  JSON.stringify({ credentials: credentials.accessKeyId.startsWith("ASIA"), codeCache: globalThis[Symbol.for("certcreds.codeCacheStatus")] ?? null }),
);
