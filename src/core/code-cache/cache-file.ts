import type { Stats } from "node:fs";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { readRegularFileSync } from "../fs/read-regular-file.js";
import { nodeCrypto, nodeFs } from "../node-builtins.js";

/**
 * One code cache file: a header that binds it to the exact script it was made
 * from, the mechanisms whose fetch code it holds, then V8's data. V8 checks
 * its own version and flags but, of the source, only its length, and a cache
 * is code that runs: so the header holds the SHA-256 of the script and of the
 * rest (mechanisms and data), and a file is used only when it is a regular
 * file of this user that nobody else may write.
 *
 * Layout: magic, format (u32), SHA-256 of the script, SHA-256 of what follows
 * it, length of the mechanisms' names (u16), the names (UTF-8, one per line),
 * V8's data.
 */
const MAGIC = Buffer.from("certcreds V8 code cache\n", "latin1");
const FORMAT = 2;
const DIGESTS_END = MAGIC.length + 4 + 32 + 32;
const HEADER_BYTES = DIGESTS_END + 2;
/** Far above the names of certcreds' mechanisms: a longer list is not ours. */
const MAX_MECHANISMS_BYTES = 1024;
/** Far above what V8 writes for certcreds (≈ 0.3 MB): a larger file is not ours and is not read. */
export const MAX_CODE_CACHE_BYTES = 16 * 1024 * 1024;
const STALE_MS = 30 * 86_400_000;

/**
 * The file for one script on this Node version, architecture and set of flags. V8 refuses data made under
 * other flags (`--predictable`, `--max-old-space-size`…): one file per set, so processes run with and without
 * one do not rewrite each other's cache at every start.
 */
export function codeCacheFileName(sourceDigest: Buffer): string {
  const flags = sha256(Buffer.from(`${process.execArgv.join("\0")}\0${process.env.NODE_OPTIONS ?? ""}`))
    .toString("hex")
    .slice(0, 8);
  return `certcreds-${process.version}-${process.arch}-${sourceDigest.toString("hex").slice(0, 16)}-${flags}.v8`;
}

/** Whether a file or directory is this user's and writable by nobody else (POSIX; Windows relies on the profile's ACLs). */
function privateToUser(stat: Stats): boolean {
  if (process.platform === "win32") return true;
  return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

/** SHA-256, one-shot: createHash would load Node's stream modules (a Hash is a Transform), milliseconds at start-up. */
export function sha256(data: Buffer): Buffer {
  return (nodeCrypto().hash as unknown as (algorithm: string, data: Buffer, encoding: "buffer") => Buffer)("sha256", data, "buffer");
}

/** What a cache file holds: V8's data, and the mechanisms whose first fetch had run when it was made. */
export interface CodeCache {
  payload: Buffer;
  mechanisms: string[];
}

/** The cache for `sourceDigest` from `directory`, or undefined when there is none fit to use. */
export function readCodeCache(directory: string, sourceDigest: Buffer): CodeCache | undefined {
  const read = readRegularFileSync(`${directory}/${codeCacheFileName(sourceDigest)}`, {
    maxBytes: HEADER_BYTES + MAX_MECHANISMS_BYTES + MAX_CODE_CACHE_BYTES,
    noFollow: true,
    check: privateToUser,
  });
  if (!("bytes" in read) || read.bytes.length < HEADER_BYTES) return undefined;
  const bytes = read.bytes;
  const formatAt = MAGIC.length;
  const sourceAt = formatAt + 4;
  const restDigestAt = sourceAt + 32;
  if (!bytes.subarray(0, formatAt).equals(MAGIC) || bytes.readUInt32BE(formatAt) !== FORMAT) return undefined;
  if (!bytes.subarray(sourceAt, restDigestAt).equals(sourceDigest)) return undefined;
  if (!sha256(bytes.subarray(DIGESTS_END)).equals(bytes.subarray(restDigestAt, DIGESTS_END))) return undefined;
  const namesBytes = bytes.readUInt16BE(DIGESTS_END);
  if (namesBytes > MAX_MECHANISMS_BYTES || HEADER_BYTES + namesBytes > bytes.length) return undefined;
  const names = bytes.toString("utf8", HEADER_BYTES, HEADER_BYTES + namesBytes);
  return { payload: bytes.subarray(HEADER_BYTES + namesBytes), mechanisms: names === "" ? [] : names.split("\n") };
}

/**
 * Makes the cache directory (0700) if needed; true when it is one this user
 * alone can write, so a cache may be written there.
 */
export function prepareCodeCacheDirectory(directory: string): boolean {
  const fs = nodeFs();
  try {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(directory);
    if (!stat.isDirectory() || !privateToUser(stat)) return false;
    fs.accessSync(directory, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes V8's data for `sourceDigest` with the mechanisms it covers,
 * atomically (a reader sees a whole file or none), mode 0600. Files of other
 * versions untouched for 30 days are removed. Failures are ignored: the cache
 * only saves time.
 */
export function writeCodeCache(directory: string, sourceDigest: Buffer, cache: CodeCache): void {
  const { payload } = cache;
  const names = Buffer.from(cache.mechanisms.join("\n"), "utf8");
  if (payload.length === 0 || payload.length > MAX_CODE_CACHE_BYTES || names.length > MAX_MECHANISMS_BYTES || !prepareCodeCacheDirectory(directory)) return;
  const name = codeCacheFileName(sourceDigest);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt32BE(FORMAT);
  const namesLength = Buffer.alloc(2);
  namesLength.writeUInt16BE(names.length);
  const rest = Buffer.concat([namesLength, names, payload]);
  try {
    writeFileAtomic(`${directory}/${name}`, Buffer.concat([MAGIC, fixed, sourceDigest, sha256(rest), rest]), 0o600);
  } catch {
    return;
  }
  removeStale(directory, name);
}

function removeStale(directory: string, current: string): void {
  const fs = nodeFs();
  try {
    for (const entry of fs.readdirSync(directory)) {
      if (entry === current || !/^certcreds-.*\.v8$/.test(entry)) continue;
      const path = `${directory}/${entry}`;
      const stat = fs.lstatSync(path);
      if (stat.isFile() && Date.now() - stat.mtimeMs > STALE_MS) fs.unlinkSync(path);
    }
  } catch {
    // A directory listing that fails leaves old files for the next write.
  }
}
