/**
 * The moment a process has obtained its first credentials: by then V8 has
 * compiled every function of certcreds a fetch runs, which is what a code
 * cache made at that point holds (see load-library.ts). Hooks run once, at
 * the first successful fetch of any source in the process.
 */
let hooks: (() => void)[] = [];

/** Runs `hook` after the process's first credentials (never, if they were obtained before it was added). */
export function afterFirstCredentials(hook: () => void): void {
  hooks.push(hook);
}

/** Called by the mechanisms after each successful fetch; only the first call does anything. */
export function firstCredentialsObtained(): void {
  if (hooks.length === 0) return;
  const due = hooks;
  hooks = [];
  for (const hook of due) {
    try {
      hook();
    } catch {
      // A hook is an optimisation (a cache written): it must never fail a fetch.
    }
  }
}
