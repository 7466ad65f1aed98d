import type { TemporaryCredentials } from "../../core/credentials.js";
import { rfc3339 } from "../../surfaces/credential-process/rfc3339.js";
import { setProfileKeysInFile, sharedCredentialsFile } from "../../surfaces/credentials-file/credentials-file.js";
import { selectMechanism } from "../config/mechanism.js";
import { openSession } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { rewriteLocked } from "../fs/locked-rewrite.js";
import { RA_EXAMPLE } from "../output/examples.js";
import type { CommandDoc } from "../output/help.js";
import { exitCodeFor } from "../output/report-error.js";
import { writeLogLine } from "../output/log-line.js";
import { cliLine, stderrLogger } from "../output/stderr-logger.js";
import { isThrottling, RetrySchedule } from "../../cache/retry-schedule.js";
import { UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds update [options]",
  description:
    "Writes aws_access_key_id, aws_secret_access_key and aws_session_token of one profile of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), leaving every other byte as it was, atomically, under a lock, mode 0600. " +
    "It then keeps running and rewrites them at half of each lifetime, retrying failures; --once writes once and exits.",
  examples: [`certcreds update --profile device ${RA_EXAMPLE}`, "certcreds update --profile-name device --profile device --once"],
};

/** Rewrites the profile's three keys under a lock, atomically, mode 0600. */
export async function writeProfile(file: string, profile: string, credentials: TemporaryCredentials): Promise<void> {
  const shared = { path: file, label: "the shared credentials file", variable: "AWS_SHARED_CREDENTIALS_FILE" };
  await rewriteLocked(
    shared,
    (bytes) =>
      setProfileKeysInFile(bytes, profile, {
        aws_access_key_id: credentials.accessKeyId,
        aws_secret_access_key: credentials.secretAccessKey,
        aws_session_token: credentials.sessionToken,
      }),
    0o600,
  );
}

/**
 * `certcreds update`: keeps one profile of the shared credentials file fresh.
 * Programs read that file once at start, so it is rewritten before half of
 * each lifetime is gone (at 40–50 %, spread so a fleet does not come back
 * together). Upstream failures are retried with backoff
 * while the process runs; `--once` writes once and exits.
 */
export async function run(settings: Settings): Promise<number> {
  const mechanism = selectMechanism(settings);
  // --once reports its own failure in one line; kept running, the library's warnings are the log.
  const logger = stderrLogger(settings.boolean("debug"), { quietWarnings: settings.boolean("once") });
  const profile = settings.string("profile") ?? "default";
  if (!/^[^[\]\r\n]+$/.test(profile) || profile.trim() !== profile) {
    throw new UsageError(`${settings.describe("profile")} "${profile}" is not a usable profile name (no brackets, line breaks or surrounding spaces).`);
  }
  const file = sharedCredentialsFile();
  if (settings.boolean("no-verify-ssl"))
    cliLine(logger, "warn", "insecure-tls", "--no-verify-ssl: the endpoint's TLS certificate is NOT verified. Use it only against a local emulator.");
  const session = await openSession(settings, mechanism, { logger });
  const once = settings.boolean("once");

  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  if (!once) {
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const timer = setTimeout(done, ms);
      wake = () => {
        clearTimeout(timer);
        done();
      };
    });

  // Throttling waits as the library's cache does, growing to minutes with decorrelated jitter (a fleet of update
  // daemons that boots together must not retry in step); other failures from 5 s doubling to 5 minutes.
  const schedule = new RetrySchedule();
  try {
    let failures = 0;
    let first = true;
    while (!stopped) {
      let delay: number;
      try {
        const obtainedAt = Date.now();
        const credentials = await session.getCredentials({ forceRefresh: !first });
        first = false;
        await writeProfile(file, profile, credentials);
        failures = 0;
        const written = `profile [${profile}] of ${file} holds credentials valid until ${rfc3339(credentials.expiration)}`;
        writeLogLine("info", "update-written", written, { profile, file, expiration: rfc3339(credentials.expiration) }, `certcreds update: ${written}`);
        if (once) return 0;
        // Before half of the lifetime, so a program that reads the file gets at least half of it; spread over the
        // tenth before that, so devices that got credentials together do not come back together.
        delay = Math.max(1000, (credentials.expiration.getTime() - obtainedAt) * (0.4 + 0.1 * Math.random()));
        cliLine(logger, "debug", "update-scheduled", `next refresh in ${Math.round(delay / 1000)} s`, { delayMs: Math.round(delay) });
      } catch (error) {
        if (once || exitCodeFor(error) !== 1) throw error;
        failures++;
        delay = isThrottling(error)
          ? schedule.next({ failures, error, valid: false, obtainedBefore: false }, {}, Math.random).unavailableInMs
          : Math.min(5_000 * 2 ** (failures - 1), 300_000) * (0.5 + Math.random() / 2);
        cliLine(
          logger,
          "warn",
          "update-retry",
          `refresh failed (attempt ${failures}), retrying in ${Math.round(delay / 1000)} s: ${(error as Error).message}`,
          {
            attempt: failures,
            delayMs: Math.round(delay),
            error: (error as Error).message,
          },
        );
      }
      await sleep(delay);
    }
    return 0;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await session.close();
  }
}
