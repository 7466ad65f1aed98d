/**
 * The moment a process has obtained its first credentials from a mechanism:
 * by then V8 has compiled every function of certcreds that mechanism's fetch
 * runs, which is what a code cache made at that point holds (see
 * load-library.ts). Hooks run at the first successful fetch of each
 * mechanism in the process, with the mechanism's name.
 */
const hooks: ((mechanism: string) => void)[] = [];
const seen = new Set<string>();

/** Runs `hook` after the process's first credentials from each mechanism (not for those obtained before it was added). */
export function afterFirstCredentials(hook: (mechanism: string) => void): void {
  hooks.push(hook);
}

/** Called by the mechanisms after each successful fetch; only a mechanism's first call does anything. */
export function firstCredentialsObtained(mechanism: string): void {
  if (seen.has(mechanism)) return;
  seen.add(mechanism);
  for (const hook of hooks) {
    try {
      hook(mechanism);
    } catch {
      // A hook is an optimisation (a cache written): it must never fail a fetch.
    }
  }
}
