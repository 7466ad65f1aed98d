/**
 * Benchmarks report ratios against a baseline measured in the same run,
 * round by round, because these machines are noisy: absolute numbers from
 * different moments are not comparable, paired ratios are.
 */
export interface BenchRow {
  /** Issue the figure answers, e.g. "#2". */
  issue: string;
  name: string;
  unit: string;
  baseline: { label: string; values: number[] };
  candidate: { label: string; values: number[] };
  /** How the ratio candidate/baseline is read, e.g. "≥ 0.9" or "≤ 1.1". */
  goal?: string;
  /** Whether the goal is met by the median ratio (undefined when no goal). */
  met?: boolean;
  note?: string;
}

/** A figure that is a count or a single measurement, not a ratio. */
export interface BenchFact {
  issue: string;
  name: string;
  value: string;
  goal?: string;
  met?: boolean;
}

export interface BenchOutput {
  rows: BenchRow[];
  facts: BenchFact[];
}

export type Benchmark = () => Promise<BenchOutput>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Ratios of paired rounds: candidate[i] / baseline[i]. */
export function ratios(row: BenchRow): number[] {
  return row.candidate.values.map((v, i) => v / row.baseline.values[i]!);
}

/** Checks a goal like "≥ 0.9" or "≤ 1.1" against the median ratio. */
export function meetsGoal(goal: string, value: number): boolean {
  const match = /^(≥|≤|>=|<=)\s*([\d.]+)/.exec(goal);
  if (!match) return true;
  const limit = Number(match[2]);
  return match[1] === "≥" || match[1] === ">=" ? value >= limit : value <= limit;
}

/** Runs `fn` repeatedly for about `ms` milliseconds (at least once) and returns operations per second. */
export async function opsPerSecond(fn: () => unknown, ms: number): Promise<number> {
  const start = performance.now();
  let count = 0;
  let elapsed = 0;
  do {
    await fn();
    count++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (count * 1000) / elapsed;
}

/** Times one async call in ms. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
