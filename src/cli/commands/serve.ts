import { randomBytes } from "node:crypto";
import { mkdirSync, unlinkSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { showValue } from "../../core/show-value.js";
import { allowedHostsFor, canonicalHost, isWildcardAddress } from "../../surfaces/local-endpoint/host-allow-list.js";
import { clientEnvironment, isLoopbackHost, type LocalEndpoint, startLocalEndpoint } from "../../surfaces/local-endpoint/local-endpoint.js";
import { ServeMetrics } from "../../surfaces/local-endpoint/metrics.js";
import { VERSION } from "../../core/version.js";
import { type Mechanism, selectMechanism } from "../config/mechanism.js";
import { openSession } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { writeFileAtomic } from "../../core/fs/atomic-write.js";
import { ensurePrivateDirectory } from "../fs/private-directory.js";
import { cacheDirectory } from "../fs/cache-read.js";
import { RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { exitCodeFor } from "../output/report-error.js";
import { cliLine, stderrLogger } from "../output/stderr-logger.js";
import { CliConfigurationError, UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds serve [options]",
  description:
    "Listens on 127.0.0.1:9911 and answers both IMDSv2 (PUT /latest/api/token, GET /latest/meta-data/iam/security-credentials/[role]) and the container credentials endpoint (GET /credentials with the Authorization token written to a 0600 file). " +
    "Credentials are refreshed in the background before they expire, one call at a time; valid credentials keep being served through upstream failures. " +
    "GET /healthz tells whether valid credentials are held and which certificates expire soon; GET /metrics is the Prometheus exposition (no secret in either). " +
    "At start it prints the export lines to paste into the shell of the programs to serve. SIGINT/SIGTERM stop it cleanly.",
  examples: [
    `certcreds serve ${RA_EXAMPLE}`,
    "certcreds serve --profile-name device --port 9912",
    "# then, in another shell: paste the printed export lines, and\naws sts get-caller-identity",
  ],
};

/** The role name IMDS lists: the role's name for Roles Anywhere, the role alias for IoT. */
function roleNameOf(settings: Settings, mechanism: Mechanism): string {
  if (mechanism === "iot") return settings.string("role-alias")!;
  const arn = settings.string("role-arn") ?? "";
  return arn.slice(arn.lastIndexOf("/") + 1) || "certcreds";
}

function checkedPort(settings: Settings): number {
  const port = settings.integer("port") ?? 9911;
  if (port < 0 || port > 65535) throw new UsageError(`${settings.describe("port")} ${port} is not a port number (0–65535; 0 picks a free one).`);
  return port;
}

function checkedHopLimit(settings: Settings): number {
  const hopLimit = settings.integer("hop-limit") ?? 1;
  if (hopLimit < 1 || hopLimit > 255) throw new UsageError(`${settings.describe("hop-limit")} ${hopLimit} is out of range: use 1–255.`);
  return hopLimit;
}

/** The names of --allow-host (comma-separated), each a host name or IP address. */
function checkedAllowedHosts(settings: Settings): string[] {
  const names = (settings.string("allow-host") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of names) {
    if (canonicalHost(name) === undefined) {
      throw new UsageError(`${settings.describe("allow-host")} ${showValue(name)} is not a host name or IP address (e.g. myhost.example or 192.0.2.10).`);
    }
  }
  return names;
}

/**
 * `certcreds serve`: one CredentialSession refreshed in the background,
 * served over IMDSv2 and the container credentials endpoint until SIGINT or
 * SIGTERM.
 */
export async function run(settings: Settings): Promise<number> {
  const mechanism = selectMechanism(settings);
  const logger = stderrLogger(settings.boolean("debug"));
  const port = checkedPort(settings);
  const hopLimit = checkedHopLimit(settings);
  const host = settings.string("listen") ?? "127.0.0.1";
  if (host !== "localhost" && isIP(host) === 0) throw new UsageError(`${settings.describe("listen")} "${host}" is not an IP address (e.g. 127.0.0.1 or ::1).`);
  const allowedHosts = allowedHostsFor(host, checkedAllowedHosts(settings));
  if (!isLoopbackHost(host)) {
    const where = isWildcardAddress(host) ? "an address of this machine" : host;
    cliLine(
      logger,
      "warn",
      "serve-exposed",
      `listening on ${host}: any host that can reach this address can take these credentials (IMDS tokens need no secret). ` +
        `Node cannot set the IP TTL of TCP answers, so --hop-limit ${hopLimit} is not enforced: limit access with a firewall. ` +
        `Web pages open in browsers on this machine, or on any host that can reach it, are a risk too (DNS rebinding): requests are answered only when their Host is ` +
        `a loopback name, ${where} or a name given with --allow-host: give it only names whose DNS you control.`,
      { host, hopLimit },
    );
  }
  if (settings.boolean("no-verify-ssl"))
    cliLine(logger, "warn", "insecure-tls", "--no-verify-ssl: the endpoint's TLS certificate is NOT verified. Use it only against a local emulator.");

  // Clients of IMDS and the container endpoint give up after about a second: never hold them on a slow upstream while valid credentials are held.
  const metrics = new ServeMetrics({ version: VERSION });
  const session = await openSession(settings, mechanism, {
    logger,
    refresh: { autoRefresh: true, maxWaitWhileValidMs: 500, unavailableRetryDelayMs: 1_000 },
    observer: metrics.observer,
  });
  // A broken configuration stops here; a network or service failure is retried in the background.
  try {
    await session.getCredentials();
  } catch (error) {
    if (exitCodeFor(error) !== 1) {
      await session.close();
      throw error;
    }
    cliLine(logger, "warn", "serve-waiting", `no credentials yet, will keep trying: ${(error as Error).message}`, { error: (error as Error).message });
  }

  const authorizationToken = randomBytes(32).toString("base64url");
  const chosen = settings.string("token-file");
  const tokenFile = resolve(chosen ?? join(cacheDirectory(settings), `serve-${process.pid}.token`));
  // The cache directory is ours to keep private; a directory the user chose (maybe a shared one
  // such as /tmp) is only created when missing — the file itself is 0600 either way.
  if (chosen === undefined) ensurePrivateDirectory(dirname(tokenFile));
  else mkdirSync(dirname(tokenFile), { recursive: true, mode: 0o700 });
  writeFileAtomic(tokenFile, authorizationToken);

  let lastError = "";
  let endpoint: LocalEndpoint;
  try {
    endpoint = await startLocalEndpoint({
      supplier: session,
      roleName: roleNameOf(settings, mechanism),
      authorizationToken,
      allowedHosts,
      metrics,
      onError: (error) => {
        const message = (error as Error).message ?? String(error);
        if (message !== lastError) cliLine(logger, "error", "serve-error", `cannot serve credentials: ${message}`, { error: message });
        lastError = message;
      },
      host,
      port,
    });
  } catch (error) {
    unlinkSync(tokenFile);
    await session.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliConfigurationError(
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is in use: stop the other server or pass --port.`
        : `cannot listen on ${host}:${port}: ${(error as Error).message}`,
    );
  }
  const { server, base } = endpoint;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      cliLine(logger, "info", "serve-stopping", `${signal}: shutting down`, { signal });
      server.close();
      server.closeAllConnections();
      try {
        unlinkSync(tokenFile);
      } catch {
        /* already gone */
      }
      session.close().finally(() => resolve(0));
    };
    // Before the export lines: whoever reads them may stop the server at once.
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.stdout.write(clientEnvironment(base, tokenFile));
    cliLine(logger, "info", "serve-listening", `serving ${mechanism === "iot" ? "AWS IoT" : "IAM Roles Anywhere"} credentials on ${base}; Ctrl-C stops`, {
      url: base,
      tokenFile,
    });
  });
}
