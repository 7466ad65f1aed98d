/**
 * start-up cost of `certcreds credential-process` answered from a
 * warm cache, whole process, against a bare `node -e 0` in the same rounds.
 */
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { BIN, createRolesAnywhereFixture, ROOT, runCli } from "../test/helpers/cli.js";
import type { BenchOutput, BenchRow } from "./harness.js";

const ROUNDS = 41;

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

export default async function bench(): Promise<BenchOutput> {
  const f = await createRolesAnywhereFixture();
  try {
    const command = ["credential-process", ...f.args];
    const warm = await runCli(command, { env: f.env });
    if (warm.code !== 0) throw new Error(warm.stderr);
    const env = { PATH: process.env.PATH, HOME: f.home };
    const launcher = join(ROOT, "dist", "cli", "certcreds.cjs");
    const bare: number[] = [];
    const viaBin: number[] = [];
    const viaLauncher: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so that neither side always runs on a warmer machine.
      const runs: [number[], string[]][] = [
        [bare, ["-e", "0"]],
        [viaBin, [BIN, ...command]],
        [viaLauncher, [launcher, ...command]],
      ];
      if (round % 2) runs.reverse();
      for (const [values, args] of runs) values.push(timeProcess(args, env));
    }
    const upstream = f.ra.createSessionCount;
    const rows: BenchRow[] = [
      {
        issue: "#4",
        name: `credential-process, warm cache, whole process: node bin/${basename(BIN)}`,
        unit: "ms",
        baseline: { label: "node -e 0", values: bare },
        candidate: { label: `node bin/${basename(BIN)} credential-process`, values: viaBin },
        goal: "≤ 1.15",
        note: "an ES-module bin makes Node start its ES module loader first (≈ 6 ms on Node 20, and the ES bundle's chunks); a CommonJS bin that requires dist/cli/certcreds.cjs costs what the launcher row shows",
      },
      {
        issue: "#4",
        name: "credential-process, warm cache, whole process: the CommonJS launcher",
        unit: "ms",
        baseline: { label: "node -e 0", values: bare },
        candidate: { label: "node dist/cli/certcreds.cjs credential-process", values: viaLauncher },
        goal: "≤ 1.15",
        note: "flags, config file, SHA-256 cache key over the configuration and the certificate bytes, cache file, output — no node:crypto, no ES module loader",
      },
    ];
    return {
      rows,
      facts: [
        {
          issue: "#4",
          name: `CreateSession calls for ${1 + ROUNDS * 2} credential-process runs`,
          value: String(upstream),
          goal: "1",
          met: upstream === 1,
        },
      ],
    };
  } finally {
    await f.close();
  }
}
