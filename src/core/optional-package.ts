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

/**
 * Imports an optional package (native or heavy, not installed by everyone).
 * The specifier is a variable so that bundlers leave the import alone, and
 * the caller's errors say what to install: `missing` when the package is not
 * there, `broken` when it is but does not load (a native addon built for
 * another Node, a damaged install).
 */
export async function importOptionalPackage<T>(
  specifier: string,
  errors: { missing: (cause: unknown) => Error; broken: (cause: unknown) => Error },
): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" ? errors.missing(cause) : errors.broken(cause);
  }
}
