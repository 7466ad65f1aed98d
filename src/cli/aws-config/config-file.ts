/**
 * Profiles of the AWS config file (`AWS_CONFIG_FILE` or `~/.aws/config`),
 * written the way `update` writes the shared credentials file: only the keys
 * given change, every other byte stays, under a lock, atomically.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type SectionKeys, type SectionTarget, setSectionKeysInFile } from "../../surfaces/credentials-file/credentials-file.js";
import { rewriteLocked } from "../fs/locked-rewrite.js";

/** `AWS_CONFIG_FILE`, else `~/.aws/config` — where the AWS CLI and SDKs look. */
export function awsConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AWS_CONFIG_FILE;
  if (configured) return configured === "~" || configured.startsWith("~/") ? join(homedir(), configured.slice(1)) : resolve(configured);
  return join(homedir(), ".aws", "config");
}

/**
 * The characters of a profile name every SDK reads back: the SDK for
 * JavaScript takes `[profile NAME]` only for these, botocore splits the
 * header on spaces and quotes.
 */
export const PROFILE_NAME = /^[\w@+.%:/-]{1,128}$/;

/** The words of a section header as botocore reads them (shlex-like: spaces split, quotes removed). */
function headerWords(name: string): string[] {
  return name
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/^(["'])(.*)\1$/, "$2"));
}

/**
 * The section of profile `name`: `[profile NAME]`, and for `default` the
 * `[default]` the AWS CLI writes (an existing `[profile default]`, which
 * botocore reads as the same profile, is rewritten too).
 */
export function profileSection(name: string): SectionTarget {
  return {
    header: name === "default" ? "default" : `profile ${name}`,
    matches: (section) => {
      const words = headerWords(section);
      return (name === "default" && words.length === 1 && words[0] === "default") || (words.length === 2 && words[0] === "profile" && words[1] === name);
    },
  };
}

/** Sets `values` in profile `name` of a config file's bytes (see setSectionKeysInFile: every other byte kept). */
export function setConfigProfile(bytes: Uint8Array, name: string, values: SectionKeys): Buffer {
  return setSectionKeysInFile(bytes, profileSection(name), values);
}

/**
 * Sets `values` in profile `name` of the config file at `path`: locked,
 * atomic, the file's mode kept (0600 for a new file, in a new 0700 directory).
 */
export async function writeConfigProfile(path: string, name: string, values: SectionKeys): Promise<void> {
  await rewriteLocked({ path, label: "the AWS config file", variable: "AWS_CONFIG_FILE" }, (bytes) => setConfigProfile(bytes, name, values), "keep");
}
