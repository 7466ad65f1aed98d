import { type Logger, logLine } from "../../../core/logger.js";
import { CK, type Handle, type Pkcs11Module } from "./binding.js";
import type { Pkcs11Spec } from "./config.js";
import { Pkcs11Error, returnValueOf, SESSION_LOST } from "./errors.js";
import { acquireModule, type ModuleLease } from "./module-registry.js";
import { pinMissingError, promptSecret, resolvePin, type SecretText } from "./pin.js";
import { type FoundToken, selectToken } from "./slots.js";

/** An open, logged-in session handed to one operation. */
export interface SessionContext {
  module: Pkcs11Module;
  session: Handle;
  token: FoundToken;
  /** Mechanisms the token lists for the slot; undefined when it would not say. */
  mechanisms: Set<number> | undefined;
  /** Increases at every (re)open: object handles found in an older one must be looked up again. */
  generation: number;
}

/**
 * Where signatures run. A token may take from microseconds (SoftHSM2) to
 * hundreds of milliseconds (a smart card, a network HSM) per signature:
 * slow ones sign on libuv's thread pool so the event loop stays free, fast
 * ones inline, where the thread hop would cost more than the signature.
 * Starts on the pool; moves inline after {@link SigningPace.STREAK}
 * signatures in a row under {@link SigningPace.FAST_MS}, back to the pool
 * after as many in a row over {@link SigningPace.SLOW_MS} (one slow
 * signature on a busy machine does not count), and stays on the pool once it
 * went back twice.
 */
export class SigningPace {
  static readonly FAST_MS = 2;
  static readonly SLOW_MS = 10;
  static readonly STREAK = 3;
  inline = false;
  private streak = 0;
  private returns = 0;

  record(milliseconds: number, wasInline: boolean): void {
    if (wasInline) {
      this.streak = milliseconds > SigningPace.SLOW_MS ? this.streak + 1 : 0;
      if (this.streak >= SigningPace.STREAK) [this.inline, this.streak, this.returns] = [false, 0, this.returns + 1];
      return;
    }
    if (this.returns >= 2) return;
    this.streak = milliseconds < SigningPace.FAST_MS ? this.streak + 1 : 0;
    if (this.streak >= SigningPace.STREAK) [this.inline, this.streak] = [true, 0];
  }
}

/**
 * One session on one token, kept open across refreshes. Operations run one
 * at a time (a PKCS#11 session allows a single active operation). When the
 * session is lost — token removed and re-inserted, sessions closed or the
 * user logged out elsewhere, module re-initialised — it opens a new one,
 * logs in again and retries the operation once. A rejected PIN is never
 * tried again: the token would lock.
 */
export class TokenSession {
  private lease: ModuleLease | undefined;
  private context: SessionContext | undefined;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  // A private field: inspecting or logging the session never shows the PIN.
  #pin: SecretText | undefined;
  /** Where the PIN came from (an option name, the environment variable, the terminal), for messages. */
  private pinFrom = "the PIN";
  private pinFailure: Pkcs11Error | undefined;
  private closed = false;
  /** How this token's signatures are run (inline or on the thread pool). */
  readonly pace = new SigningPace();

  constructor(
    readonly spec: Pkcs11Spec,
    private readonly logger?: Logger,
  ) {}

  /** The token's name once a session was opened (for messages). */
  get tokenName(): string {
    return this.context?.token.name ?? describeSpecToken(this.spec);
  }

  /** How many sessions were opened so far: 1 while the first one lasts (diagnostics and tests). */
  get sessionsOpened(): number {
    return this.generation;
  }

  /** The user PIN once known (for a TLS stack that logs in itself). */
  get knownPin(): string | undefined {
    return this.#pin?.reveal();
  }

  /** Runs `operation` alone on the session, re-opening it and retrying once if it was lost. */
  run<T>(operation: (context: SessionContext) => T | Promise<T>): Promise<T> {
    const result = this.queue.then(() => this.runNow(operation));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow<T>(operation: (context: SessionContext) => T | Promise<T>): Promise<T> {
    // The open session is the common case: no extra turn of the event loop for it.
    const context = this.context && !this.closed ? this.context : await this.open();
    try {
      return await operation(context);
    } catch (error) {
      const returnValue = returnValueOf(error);
      if (returnValue === undefined || !SESSION_LOST.has(returnValue)) throw error;
      logLine(
        this.logger,
        "warn",
        "pkcs11-session-lost",
        `certcreds: the PKCS#11 session on token ${context.token.name} was lost (${returnValue}); opening a new one and logging in again`,
        { token: context.token.name, returnValue },
      );
      this.drop(returnValue === "CKR_CRYPTOKI_NOT_INITIALIZED");
      return await operation(await this.open());
    }
  }

  /** Logs in for the next operation only (keys with CKA_ALWAYS_AUTHENTICATE), after C_SignInit. */
  async contextLogin(context: SessionContext, keyName: string): Promise<void> {
    let pin: string;
    if (this.spec.reusePin) pin = (await this.userPin(context.token))?.reveal() ?? "";
    else if (process.stdin.isTTY) pin = await promptSecret(`PIN to sign with key ${keyName} on token ${context.token.name}: `);
    else {
      throw new Pkcs11Error(
        "pin-missing",
        "pkcs11.reusePin",
        `Key ${keyName} on token ${context.token.name} has CKA_ALWAYS_AUTHENTICATE: every signature needs the PIN again. Set pkcs11.reusePin to true (CLI: --reuse-pin) to log in with the user PIN, or run on a terminal to be asked.`,
      );
    }
    try {
      context.module.C_Login(context.session, CK.CKU_CONTEXT_SPECIFIC, pin);
    } catch (error) {
      throw this.loginError(error, context, this.spec.reusePin ? this.pinFrom : "the terminal");
    }
  }

  private async open(): Promise<SessionContext> {
    if (this.closed)
      throw new Pkcs11Error("token", this.spec.keyOption, `The PKCS#11 key on token ${this.tokenName} was closed; create a new session to use it.`);
    if (this.pinFailure) throw this.pinFailure;
    if (this.context) return this.context;
    this.lease ??= await acquireModule(this.spec.library, this.spec.libraryOption);
    const module = this.lease.module;
    const token = selectToken(module, this.spec.token, this.spec.tokenOption, this.spec.library, this.spec.uriOptions.includes(this.spec.tokenOption));
    let session: Handle;
    try {
      session = module.C_OpenSession(token.slot, CK.CKF_SERIAL_SESSION);
    } catch (error) {
      throw new Pkcs11Error(
        "token",
        this.spec.tokenOption,
        `Opening a session on token ${token.name} failed (${returnValueOf(error) ?? (error as Error).message}). Check that the token is inserted and not used exclusively by another program.`,
        returnValueOf(error),
        { cause: error },
      );
    }
    const context: SessionContext = { module, session, token, mechanisms: mechanismsOf(module, token), generation: ++this.generation };
    try {
      if (token.flags & CK.CKF_LOGIN_REQUIRED) await this.login(context);
    } catch (error) {
      closeQuietly(module, session);
      throw error;
    }
    this.context = context;
    return context;
  }

  private async userPin(token: FoundToken): Promise<SecretText | undefined> {
    if (this.#pin !== undefined) return this.#pin;
    const resolved = await resolvePin(this.spec.pin, token.name);
    if (resolved) [this.#pin, this.pinFrom] = [resolved.pin, resolved.from];
    return this.#pin;
  }

  private async login(context: SessionContext): Promise<void> {
    const { module, session, token } = context;
    const protectedPath = (token.flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0;
    const pin = await this.userPin(token);
    if (pin === undefined && !protectedPath) throw pinMissingError(token.name, this.spec.pin.option);
    try {
      // With a protected authentication path (PIN pad), the token asks for the PIN itself.
      module.C_Login(session, CK.CKU_USER, pin?.reveal());
    } catch (error) {
      if (returnValueOf(error) === "CKR_USER_ALREADY_LOGGED_IN") return;
      throw this.loginError(error, context, this.pinFrom);
    }
  }

  /** `pinFrom` names where the PIN came from: an option, the environment variable or "the terminal". */
  private loginError(error: unknown, context: SessionContext, pinFrom: string): Pkcs11Error {
    const returnValue = returnValueOf(error);
    const { token } = context;
    let flags = token.flags;
    try {
      flags = context.module.C_GetTokenInfo(token.slot).flags;
    } catch {
      // Keep the flags read when the session opened.
    }
    const option = pinFrom.startsWith("the ") ? this.spec.pin.option : pinFrom;
    const pinOption = pinFrom === "the terminal" ? "the PIN typed on the terminal" : pinFrom.startsWith("the ") ? "the PIN" : `the PIN from ${pinFrom}`;
    if (returnValue === "CKR_PIN_INCORRECT" || returnValue === "CKR_PIN_LEN_RANGE") {
      const warning =
        flags & CK.CKF_USER_PIN_FINAL_TRY
          ? "The token says the next wrong PIN locks it."
          : flags & CK.CKF_USER_PIN_COUNT_LOW
            ? "The token says few attempts are left before it locks."
            : "Tokens lock after a few wrong PINs in a row.";
      this.pinFailure = new Pkcs11Error(
        "pin-incorrect",
        option,
        `Token ${token.name} rejected ${pinOption} (${returnValue}). certcreds will not try it again: ${warning} Fix ${option} and start again.`,
        returnValue,
      );
      return this.pinFailure;
    }
    if (returnValue === "CKR_PIN_LOCKED" || flags & CK.CKF_USER_PIN_LOCKED) {
      this.pinFailure = new Pkcs11Error(
        "pin-locked",
        option,
        `The user PIN of token ${token.name} is locked after too many wrong attempts (${returnValue ?? "CKF_USER_PIN_LOCKED"}). Unlock it with the security officer PIN (e.g. "softhsm2-util" or your token's admin tool), then set ${option}.`,
        returnValue,
      );
      return this.pinFailure;
    }
    return new Pkcs11Error("token", option, `Logging in to token ${token.name} failed (${returnValue ?? (error as Error).message}).`, returnValue, {
      cause: error,
    });
  }

  /** Closes the session of `context` (left in an unusable state); the next operation opens a new one. */
  discard(context: SessionContext): void {
    if (this.context === context) this.drop(false);
  }

  /** Forgets the session (the token will be looked up again, maybe in another slot). */
  private drop(reinitialize: boolean): void {
    const context = this.context;
    this.context = undefined;
    if (context) closeQuietly(context.module, context.session);
    if (reinitialize) this.lease?.reinitialize();
  }

  /** Closes the session and releases the module once pending operations are done. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.drop(false);
    this.lease?.release();
    this.lease = undefined;
    this.#pin = undefined;
  }
}

function closeQuietly(module: Pkcs11Module, session: Handle): void {
  try {
    module.C_CloseSession(session);
  } catch {
    // The session is already gone.
  }
}

function mechanismsOf(module: Pkcs11Module, token: FoundToken): Set<number> | undefined {
  try {
    return new Set(module.C_GetMechanismList(token.slot));
  } catch {
    return undefined;
  }
}

function describeSpecToken(spec: Pkcs11Spec): string {
  const { label, slotId, serial } = spec.token;
  if (label !== undefined) return `"${label}"`;
  if (slotId !== undefined) return `in slot ${slotId}`;
  if (serial !== undefined) return `with serial ${serial}`;
  return `of ${spec.library}`;
}
