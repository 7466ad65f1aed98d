/**
 * What `import "certcreds"` and a first fetch load. Import cost is mostly the
 * files Node's ES module loader reads and the built-ins they pull in
 * (measured in `npm run bench`); these checks keep the structure that makes
 * it small: the API surface in one chunk, the code of a fetch in one more
 * loaded at the first fetch, and no TLS, HTTP or crypto built-in before a
 * fetch needs it.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { createRolesAnywhereFixture } from "../helpers/cli.js";

const DIST = join(import.meta.dirname, "..", "..", "dist");

function importsOf(file: string, kind: "static" | "dynamic"): string[] {
  const text = readFileSync(file, "utf8");
  // The bundles are compacted: `import{a}from"./chunk.js"`, `import"./chunk.js"`, statements on one line.
  const pattern = kind === "static" ? /(?:^|[;}\s])(?:import|export)\s*(?:[^;"'(]*?from\s*)?"(\.[^"]+)"/gm : /\bimport\("(\.[^"]+)"\)/g;
  return [...text.matchAll(pattern)].map((match) => join(dirname(file), match[1]!));
}

/** The files a module and its static imports make Node read, relative to dist/. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file, "static"));
  }
  return new Set([...seen].map((file) => relative(DIST, file)));
}

test("import 'certcreds' reads two files: the entry and the chunk of the API surface", () => {
  const files = staticClosure(join(DIST, "index.js"));
  assert.equal(files.size, 2, [...files].join(", "));
});

test("a first fetch reads two more: the fetch runtime and its chunk", () => {
  const eager = staticClosure(join(DIST, "index.js"));
  const lazy = [...eager].flatMap((file) => importsOf(join(DIST, file), "dynamic"));
  const runtime = lazy.find((file) => /\/runtime-[\w]+\.js$/.test(file));
  assert.ok(runtime, `no runtime chunk among the lazy imports ${lazy.map((file) => relative(DIST, file)).join(", ")}`);
  const added = [...staticClosure(runtime)].filter((file) => !eager.has(file));
  assert.equal(added.length, 2, added.join(", "));
});

test("import 'certcreds' loads no built-in module", () => {
  // Every built-in the library uses is taken with process.getBuiltinModule when first needed: a static
  // `import ... from "node:fs"` would load fs/promises, the file streams, readline and os through the ES
  // module facade, and node:crypto, node:tls or node:https cost milliseconds a process that only imports pays.
  const script = `const loadedSince = (before) => process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith("NativeModule ")).map((m) => m.slice(13));
    const before = new Set(process.moduleLoadList);
    await import(${JSON.stringify(join(DIST, "index.js"))});
    // Node 22 loads parts of its ES module loader at the first file import: the loader's, not ours.
    const byImport = loadedSince(before).filter((m) => !m.startsWith("internal/modules/"));
    // The probe shows the list does see a built-in loaded after the import.
    const probeBefore = new Set(process.moduleLoadList);
    process.getBuiltinModule("node:zlib");
    const probe = loadedSince(probeBefore);
    // Read before touching process.stdout: a pipe's stream is a node:net socket.
    process.stdout.write(JSON.stringify({ byImport, probe }));`;
  const { byImport, probe } = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as Record<
    string,
    string[]
  >;
  assert.ok(probe!.includes("zlib"), `the probe's built-in was not seen: ${probe!.join(", ")}`);
  assert.deepEqual(byImport, []);
});

test("Node's entry loads, before any fetch, no network, TLS or HTTP built-in: only what checking and compiling the cached library needs", () => {
  // node:vm compiles the library script; node:crypto (which brings Node's streams) checks the cache's digests
  // and is what a first fetch loads first anyway.
  const script = `const before = new Set(process.moduleLoadList);
    await import(${JSON.stringify(join(DIST, "node", "index.js"))});
    const loaded = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith("NativeModule ")).map((m) => m.slice(13));
    process.stdout.write(JSON.stringify(loaded));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as string[];
  assert.ok(loaded.includes("vm"), `the library script was not compiled here: ${loaded.join(", ")}`);
  const costly = loaded.filter((name) => /^(net|tls|_tls_\w+|https?|_http_\w+|dns|zlib|internal\/deps\/undici\/.*)$/.test(name));
  assert.deepEqual(costly, []);
});

test("a first fetch loads node:tls before it reads and checks the identity, so Node's root certificates are parsed meanwhile", async () => {
  // Node parses its bundled root certificates on a thread of their own once node:tls loads, and the first TLS
  // context waits for them: loaded only at the connection, they cost a fresh process ~6 ms before its first
  // credentials (docs/performance.md). A signer's call comes after the identity checks and before the connection.
  const fixture = await createRolesAnywhereFixture();
  try {
    for (const entry of [join(DIST, "index.js"), join(DIST, "node", "index.js")]) {
      const script = `const { fromRolesAnywhere, KeyObjectSigner } = await import(${JSON.stringify(entry)});
        const { createPrivateKey } = process.getBuiltinModule("node:crypto");
        const init = JSON.parse(process.env.CHILD_INIT);
        const tlsLoaded = () => process.moduleLoadList.includes("NativeModule tls");
        const key = new KeyObjectSigner(createPrivateKey(process.getBuiltinModule("node:fs").readFileSync(init.privateKey)));
        let atSigning;
        const signer = { algorithm: key.algorithm, sign(data) { atSigning ??= tlsLoaded(); return key.sign(data); } };
        const beforeFetch = tlsLoaded();
        const credentials = await fromRolesAnywhere({ ...init, privateKey: undefined, signer })();
        process.stdout.write(JSON.stringify({ beforeFetch, atSigning, credentials: credentials.accessKeyId.startsWith("ASIA") }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
        env: { ...process.env, CHILD_INIT: JSON.stringify(fixture.init) },
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.deepEqual(JSON.parse(stdout), { beforeFetch: false, atSigning: true, credentials: true }, entry);
    }
  } finally {
    await fixture.close();
  }
});
