/**
 * Figures: inputs that used to stall a process. PEM parsing of BEGIN lines
 * without END (quadratic before: 1.1 MB took 16–20 s), against parsing a
 * well-formed bundle of the same size (the baseline, same run).
 */
import { parsePem } from "../src/identity/pem.js";
import { createTestCertificateAuthority } from "../testing/index.js";
import type { BenchOutput } from "./harness.js";

const SIZE = 8 * 1024 * 1024;

function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export default async function (): Promise<BenchOutput> {
  const ca = await createTestCertificateAuthority({ commonName: "bench bundle CA" });
  const hostile = "-----BEGIN CERTIFICATE-----\n".repeat(Math.floor(SIZE / 28));
  const bundle = ca.certificatePem.repeat(Math.ceil(SIZE / ca.certificatePem.length)).slice(0, SIZE);
  const candidate: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < 9; round++) {
    candidate.push(timed(() => parsePem(hostile)));
    baseline.push(timed(() => parsePem(bundle)));
  }
  const worst = Math.max(...candidate);
  return {
    rows: [
      {
        issue: "#10",
        name: "PEM parse, 8 MiB of BEGIN lines without END vs 8 MiB of well-formed certificates",
        unit: "ms",
        candidate: { label: "parsePem(8 MiB unterminated)", values: candidate },
        baseline: { label: "parsePem(8 MiB bundle)", values: baseline },
      },
    ],
    facts: [
      {
        issue: "#10",
        name: "PEM parse of 8 MiB of unterminated BEGIN lines, slowest of 9 rounds",
        value: `${worst.toFixed(1)} ms`,
        goal: "< 100 ms",
        met: worst < 100,
      },
    ],
  };
}
