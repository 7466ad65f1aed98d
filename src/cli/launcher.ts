/**
 * The CommonJS entry of the CLI (dist/cli/certcreds.cjs). Node starts a
 * CommonJS program about 6 ms faster than an ES module and `node:crypto`
 * costs another 5 ms, so the warm `credential-process` path — a fresh cache
 * entry — is answered here with neither; every other case loads the ES
 * module bundle (dist/cli/certcreds.mjs) with its lazily imported chunks.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { formatLogLine, requestedLogFormat, setLogFormat } from "./output/log-line.js";
import { tryWarmCredentialProcess } from "./warm-path.js";

const argv = process.argv.slice(2);
let answered = false;
try {
  answered = tryWarmCredentialProcess(argv);
} catch (error) {
  // Only writing the answer can fail here (standard output closed).
  const message = `cannot write the answer: ${(error as Error).message}`;
  process.stderr.write(
    formatLogLine("error", "command-failed", message, { command: "credential-process", exitCode: 1 }, `certcreds credential-process: ${message}`),
  );
  process.exitCode = 1;
  answered = true;
}
if (!answered) {
  const entry = pathToFileURL(join(__dirname, "certcreds.mjs")).href;
  (import(entry) as Promise<{ main(argv: string[]): Promise<number> }>)
    .then(({ main }) => main(argv))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        const message = (error as Error)?.message ?? String(error);
        setLogFormat(requestedLogFormat(argv, process.env));
        process.stderr.write(formatLogLine("error", "command-failed", message, { exitCode: 1 }, `certcreds: ${message}`));
        process.exitCode = 1;
      },
    );
}
