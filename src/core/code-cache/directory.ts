/** The environment variable that places or turns off the code cache (see {@link codeCacheSetting}). */
export const CODE_CACHE_VARIABLE = "CERTCREDS_CODE_CACHE";

const OFF = new Set(["off", "0", "false", "no"]);

/** What `CERTCREDS_CODE_CACHE` asks for: a directory, off, or a value that is neither (reported once, then off). */
export type CodeCacheSetting = { directory: string } | { off: true; invalid?: string };

/**
 * Where certcreds keeps V8's compiled code of itself: `CERTCREDS_CODE_CACHE`
 * when it is an absolute directory; off when it is `off` (or `0`, `false`,
 * `no`); else `$XDG_CACHE_HOME/certcreds/code`, `~/.cache/certcreds/code`,
 * or on Windows `%LOCALAPPDATA%\certcreds\code`. A relative path is refused:
 * it would name a different directory from every working directory.
 */
export function codeCacheSetting(env: NodeJS.ProcessEnv = process.env): CodeCacheSetting {
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
  // $HOME is what os.homedir() returns when it is set; node:os is only loaded when it is not.
  const home = env.HOME && path.isAbsolute(env.HOME) ? env.HOME : (process.getBuiltinModule("node:os") as typeof import("node:os")).homedir();
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, ".cache");
  return { directory: path.join(base, "certcreds", "code") };
}
