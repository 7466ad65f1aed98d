import { ConfigurationError } from "./errors.js";

/** Edit distance between two short strings (flag and option names). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate nearest to `input`, when it is near enough to be a likely typo. */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  // No typo is this long, and the edit distance costs input × candidate.
  if (input.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = candidate.startsWith(input) || input.startsWith(candidate) ? Math.abs(candidate.length - input.length) / 2 : distance(input, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

/**
 * Throws a ConfigurationError for the first key of `init` that is not a known
 * option, suggesting the nearest one (`roleArm` → `roleArn`): a misspelled
 * option would otherwise be ignored without a word.
 */
export function checkKnownOptions(init: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(init)) {
    if (known.includes(key)) continue;
    const guess = nearest(key, known);
    throw new ConfigurationError(
      key,
      `${where} has no option ${JSON.stringify(key.slice(0, 64))}.${guess ? ` Did you mean ${guess}?` : ""} The options are: ${known.join(", ")}.`,
    );
  }
}
