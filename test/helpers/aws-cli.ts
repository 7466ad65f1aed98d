/**
 * The AWS CLIs installed here, as the tests of `configure` and `emulate`
 * run them: Debian's (what .ci/run installs) and any other on PATH. Each
 * says whether it reads an endpoint from `AWS_ENDPOINT_URL_STS` or a
 * `[services]` section (AWS CLI 2.13 / 1.29 and later): an older one is
 * given `--endpoint-url`, so every CLI proves the profile itself.
 */
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { type CliResult, runProgram, which } from "./cli.js";

export interface AwsCli {
  path: string;
  version: string;
  /** Reads the endpoint from AWS_ENDPOINT_URL_<SERVICE> and `services` sections. */
  configuredEndpoints: boolean;
}

function versionOf(path: string): string | undefined {
  try {
    // A clean environment, as the tests run it: a CLI that needs the user's HOME (a pyenv shim) does not count.
    const out = execFileSync(path, ["--version"], { env: { PATH: process.env.PATH ?? "", HOME: tmpdir() }, encoding: "utf8", stdio: "pipe" });
    return /aws-cli\/(\d+\.\d+\.\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** pyenv's shim on PATH runs a real script, which runs without pyenv's environment. */
function pyenvTarget(path: string): string | undefined {
  if (!path.includes("/shims/")) return undefined;
  try {
    return execFileSync("pyenv", ["which", "aws"], { encoding: "utf8", stdio: "pipe" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Every AWS CLI version that runs in a clean environment, Debian's first. */
export function awsClis(): AwsCli[] {
  const onPath = which("aws");
  const candidates = ["/usr/bin/aws", onPath, onPath ? pyenvTarget(onPath) : undefined];
  const found: AwsCli[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate) || seen.has(realpathSync(candidate))) continue;
    seen.add(realpathSync(candidate));
    const version = versionOf(candidate);
    // The same version twice (a shim and its target) proves nothing more.
    if (version === undefined || found.some((cli) => cli.version === version)) continue;
    const [major = 0, minor = 0] = version.split(".").map(Number);
    found.push({ path: candidate, version, configuredEndpoints: major === 1 ? minor >= 29 : major === 2 ? minor >= 13 : major > 2 });
  }
  return found;
}

/**
 * `aws sts get-caller-identity --profile <profile>` with exactly `env`
 * (plus PATH); `--endpoint-url <stsUrl>` only for a CLI that cannot read it
 * from the configuration. Returns the parsed identity or throws with stderr.
 */
export async function callerIdentity(cli: AwsCli, profile: string, env: Record<string, string>, stsUrl: string): Promise<{ Account: string; Arn: string }> {
  const args = ["sts", "get-caller-identity", "--profile", profile, "--output", "json", ...(cli.configuredEndpoints ? [] : ["--endpoint-url", stsUrl])];
  const result: CliResult = await runProgram(cli.path, args, { PATH: process.env.PATH ?? "", AWS_EC2_METADATA_DISABLED: "true", AWS_PAGER: "", ...env });
  if (result.code !== 0) throw new Error(`aws ${cli.version} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}
