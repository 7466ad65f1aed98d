/** The environment variable that places or turns off the code cache (see {@link codeCacheSetting}). */
export const CODE_CACHE_VARIABLE = "CERTCREDS_CODE_CACHE";

const OFF = new Set(["off", "0", "false", "no"]);

/** The one-line warning for a `CERTCREDS_CODE_CACHE` that is neither an absolute directory nor off (library and CLI alike). */
export function invalidCodeCacheMessage(value: string): string {
  return `${CODE_CACHE_VARIABLE}=${value} is neither an absolute directory nor "off": certcreds' code cache is not used. Set an absolute path, or off.`;
}

/** What `CERTCREDS_CODE_CACHE` asks for: a directory, off, or a value that is neither (reported once, then off). */
export type CodeCacheSetting = { directory: string } | { off: true; invalid?: string };

/**
 * Where certcreds keeps V8's compiled code of itself: `CERTCREDS_CODE_CACHE`
 * when it is an absolute directory; off when it is `off` (or `0`, `false`,
 * `no`); else `$XDG_CACHE_HOME/certcreds/code`, `~/.cache/certcreds/code`,
 * or on Windows `%LOCALAPPDATA%\certcreds\code`. A relative path is refused:
 * it would name a different directory from every working directory.
 */
export function codeCacheSetting(
  env: NodeJS.ProcessEnv = process.env,
  homedir: () => string = () => (process.getBuiltinModule("node:os") as typeof import("node:os")).homedir(),
): CodeCacheSetting {
  const path = process.getBuiltinModule("node:path");
  const value = env[CODE_CACHE_VARIABLE]?.trim();
  if (value) {
    if (OFF.has(value.toLowerCase())) return { off: true };
    if (!path.isAbsolute(value)) return { off: true, invalid: value };
    return { directory: value };
  }
  if (process.platform === "win32") {
    return env.LOCALAPPDATA && path.isAbsolute(env.LOCALAPPDATA) ? { directory: path.join(env.LOCALAPPDATA, "certcreds", "code") } : { off: true };
  }
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return { directory: path.join(env.XDG_CACHE_HOME, "certcreds", "code") };
  // $HOME is what os.homedir() returns when it is set; node:os is only loaded when it is not. Without either
  // (a container's arbitrary uid with no passwd entry), no cache.
  let home = env.HOME && path.isAbsolute(env.HOME) ? env.HOME : undefined;
  try {
    home ??= homedir();
  } catch {
    return { off: true };
  }
  const base = path.join(home, ".cache");
  return { directory: path.join(base, "certcreds", "code") };
}
