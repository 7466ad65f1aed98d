import { inspectCustom } from "../../../core/node-builtins.js";
import { Pkcs11Error } from "./errors.js";
import type { PinInput } from "./config.js";

/**
 * A PIN held in memory: printing, inspecting or serialising it shows
 * `[secret]`, so an object that carries one can be logged safely.
 */
export class SecretText {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The PIN itself, for the token's C_Login only. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
  [inspectCustom](): string {
    return "[secret]";
  }
}

/** The environment variable a PIN may come from. */
export const PIN_ENVIRONMENT_VARIABLE = "CERTCREDS_PKCS11_PIN";

const PIN_SOURCES = `pkcs11.userPin, pin-value or pin-source in the PKCS#11 URI, the ${PIN_ENVIRONMENT_VARIABLE} environment variable, or run on a terminal to be asked`;

/**
 * The user PIN, from (in order) the option or URI, the environment, or a
 * prompt when stdin is a terminal. `undefined` when none is available: the
 * caller decides whether the token needs one.
 */
export async function resolvePin(input: PinInput, tokenName: string): Promise<{ pin: SecretText; from: string } | undefined> {
  if (input.value !== undefined) return { pin: input.value, from: input.option };
  if (input.source !== undefined) {
    const path = input.source.replace(/^file:(\/\/)?/i, "");
    try {
      const { readFile } = await import("node:fs/promises");
      return { pin: new SecretText((await readFile(path, "utf8")).replace(/\r?\n$/, "")), from: input.option };
    } catch (cause) {
      throw new Pkcs11Error(
        "pin-missing",
        input.option,
        `${input.option} names ${path}, which could not be read (${(cause as NodeJS.ErrnoException).code ?? "error"}). Point pin-source at a readable file holding the PIN.`,
        undefined,
        { cause },
      );
    }
  }
  const fromEnvironment = process.env[PIN_ENVIRONMENT_VARIABLE];
  if (fromEnvironment !== undefined && fromEnvironment !== "") return { pin: new SecretText(fromEnvironment), from: PIN_ENVIRONMENT_VARIABLE };
  if (process.stdin.isTTY) return { pin: new SecretText(await promptSecret(`PIN for PKCS#11 token ${tokenName}: `)), from: "the terminal" };
  return undefined;
}

/** The error for a token that needs a PIN when none was given. */
export function pinMissingError(tokenName: string, option: string): Pkcs11Error {
  return new Pkcs11Error("pin-missing", option, `Token ${tokenName} needs its user PIN to sign. Give it through ${PIN_SOURCES}.`);
}

/**
 * Reads a secret from the terminal without echoing it. The prompt goes to
 * stderr so that stdout stays clean (credential_process prints JSON there).
 */
export function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const wasRaw = stdin.isRaw;
    // Echo off before the prompt shows: a PIN typed as soon as it appears must not be echoed.
    stdin.setRawMode?.(true);
    process.stderr.write(question);
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003" || char === "\u0004") {
          return finish(new Pkcs11Error("pin-missing", "pkcs11.userPin", "PIN entry cancelled on the terminal."));
        }
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.resume();
    stdin.on("data", onData);
  });
}
