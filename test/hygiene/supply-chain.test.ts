/**
 * Supply chain: a lockfile that pins every runtime package, and no install
 * scripts in the runtime dependency tree but the PKCS#11 binding's.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "../helpers/cli.js";

describe("supply chain: a lockfile, and no install scripts in the runtime dependency tree but the PKCS#11 binding's", () => {
  interface LockedPackage {
    version?: string;
    dev?: boolean;
    optional?: boolean;
    hasInstallScript?: boolean;
    resolved?: string;
    integrity?: string;
    link?: boolean;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };

  /** Where npm would find `name` for the package at `from`: its own node_modules, then each ancestor's. */
  function resolveIn(packages: Record<string, LockedPackage>, from: string, name: string): string | undefined {
    for (let base = from; ; base = base.includes("/node_modules/") ? base.slice(0, base.lastIndexOf("/node_modules/")) : "") {
      const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === "") return undefined;
    }
  }

  test("package-lock.json exists, is lockfileVersion 3, and pins every runtime package with an integrity hash", () => {
    const path = join(ROOT, "package-lock.json");
    assert.ok(existsSync(path), "package-lock.json is committed");
    const lock = JSON.parse(readFileSync(path, "utf8")) as { lockfileVersion: number; packages: Record<string, LockedPackage> };
    assert.ok(lock.lockfileVersion >= 2, "a lockfile with the packages map (npm 7+)");
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || entry.dev || entry.link) continue;
      assert.match(entry.integrity ?? "", /^sha512-/, `${path} is pinned by a sha512 integrity hash`);
    }
  });

  test("walking the runtime tree from package.json: install scripts only in pkcs11js, and aws-crt's is denied in allowScripts", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockedPackage> };
    const root = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    const runtime = new Set<string>();
    const queue: [string, string][] = Object.keys(root).map((name) => ["", name]);
    const missing: string[] = [];
    while (queue.length > 0) {
      const [from, name] = queue.shift()!;
      const found = resolveIn(lock.packages, from, name);
      if (!found) {
        // An optional dependency for another platform may be absent from the lock.
        missing.push(`${from || "(root)"} → ${name}`);
        continue;
      }
      if (runtime.has(found)) continue;
      runtime.add(found);
      const entry = lock.packages[found]!;
      for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }))
        queue.push([found, dependency]);
    }
    assert.ok(runtime.has("node_modules/@smithy/types"), "the walk found the runtime dependencies");
    const withScripts = [...runtime].filter((path) => lock.packages[path]!.hasInstallScript).map((path) => path.slice(path.lastIndexOf("node_modules/") + 13));
    const allowed = (name: string) => name === "pkcs11js" || (name === "aws-crt" && manifest.allowScripts?.["aws-crt"] === false);
    assert.deepEqual(
      withScripts.filter((name) => !allowed(name)),
      [],
      `runtime packages with install scripts (missing in the lock: ${missing.join(", ") || "none"})`,
    );
    // The lock's own dev flags agree: nothing outside the walk is runtime.
    const flagged = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== "" && !entry.dev && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + 13));
    assert.deepEqual(
      flagged.filter((name) => !allowed(name)),
      [],
    );
    assert.equal(manifest.allowScripts?.pkcs11js, true, "the PKCS#11 binding's build is the one allowed script");
  });
});
