/**
 * A loader for an optional package: the first call starts `load`, later calls
 * share its promise; a failure is forgotten, so a call after the user installs
 * the package tries again instead of repeating the old error.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = load();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}
