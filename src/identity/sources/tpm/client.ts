/**
 * A TPM 2.0 command client: one command at a time over one connection,
 * each response checked before it is read, a non-zero response code raised
 * as a {@link TpmResponseError} for the caller to explain in its context
 * (a wrong password means something else than a missing parent).
 */
import { type Command, flushContext, parseReadPublic, type Response, readPublic, responseCode, splitResponse } from "./commands.js";
import { malformedResponse } from "./errors.js";
import { MarshalError } from "./marshal.js";
import { decodeRc, isTransientWarning } from "./response-codes.js";
import type { TpmConnection, TpmTransport } from "./transport.js";

/** A TPM answered a command with a response code other than success. */
export class TpmResponseError extends Error {
  constructor(
    readonly rc: number,
    readonly commandCode: number,
  ) {
    super(`TPM command 0x${commandCode.toString(16)} failed: ${decodeRc(rc).text}`);
  }
  get decoded() {
    return decodeRc(this.rc);
  }
}

export interface TpmClientOptions {
  /** The longest wait for one response. */
  commandTimeoutMs?: number;
  /** The longest wait for a connection. */
  connectTimeoutMs?: number;
}

/** Handles named by a response that did not parse: the objects may be loaded all the same. */
const strays = new WeakMap<object, number[]>();

/** The handles a malformed response to a command that loads an object named, for the caller to flush. */
export function strayHandles(error: unknown): number[] {
  return (typeof error === "object" && error !== null && strays.get(error)) || [];
}

/** Delays before sending a command again after TPM_RC_RETRY, YIELDED or TESTING. */
const RETRY_DELAYS_MS = [5, 20, 100, 250];

/** One connection, for the duration of {@link TpmClient.run}. */
export interface TpmSession {
  /** Sends a command; resolves with the parsed response, or throws TpmResponseError / TpmError. */
  execute(command: Command): Promise<Response>;
  /**
   * Flushes a transient object; true when it is gone. When the connection
   * fails first, an object whose `name` is known is flushed at the next
   * connection if it is still there under that name (on a TPM without a
   * resource manager it outlives the connection).
   */
  flush(handle: number, name: Buffer | undefined): Promise<boolean>;
  /** Increases when the client opened a new connection: objects of a resource manager's earlier connection are gone. */
  readonly generation: number;
}

export class TpmClient {
  private queue: Promise<unknown> = Promise.resolve();
  private kept: TpmConnection | undefined;
  private connections = 0;
  /** Objects a broken connection left loaded, to flush when found again under their name. */
  private orphans: { handle: number; name: Buffer }[] = [];
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly transport: TpmTransport,
    options: TpmClientOptions = {},
  ) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  /**
   * Runs `work` alone on one connection. Behind a resource manager the
   * connection is kept for the next run (it holds the loaded objects);
   * otherwise it is closed after each run, so other programs can reach a
   * TPM (or simulator) that serves one client at a time.
   */
  run<T>(work: (session: TpmSession) => Promise<T>): Promise<T> {
    const result = this.queue.then(() => this.runAlone(work));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runAlone<T>(work: (session: TpmSession) => Promise<T>): Promise<T> {
    let connection = this.kept;
    if (!connection || connection.broken) {
      this.kept = undefined;
      connection = await this.transport.connect(this.connectTimeoutMs);
      this.connections++;
    }
    const session: TpmSession = {
      execute: (command) => this.execute(connection, command),
      flush: (handle, name) => this.flush(connection, handle, name),
      generation: this.connections,
    };
    try {
      if (this.orphans.length > 0) await this.sweep(connection);
      return await work(session);
    } finally {
      if (this.transport.resourceManaged && !connection.broken) this.kept = connection;
      else await connection.close();
    }
  }

  private async execute(connection: TpmConnection, command: Command): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const bytes = await connection.transact(command.bytes, this.commandTimeoutMs);
      const rc = responseCode(bytes);
      if (rc !== 0) {
        if (isTransientWarning(rc) && attempt < RETRY_DELAYS_MS.length) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
          continue;
        }
        throw new TpmResponseError(rc, command.code);
      }
      try {
        return splitResponse(command, bytes);
      } catch (error) {
        if (!(error instanceof MarshalError)) throw error;
        const failure = malformedResponse(error.message, this.transport.location);
        if (command.responseHandles > 0 && bytes.length >= 14) strays.set(failure, [bytes.readUInt32BE(10)]);
        throw failure;
      }
    }
  }

  private async flush(connection: TpmConnection, handle: number, name: Buffer | undefined): Promise<boolean> {
    try {
      await this.execute(connection, flushContext(handle));
      return true;
    } catch (error) {
      // The TPM says it is not there (a reset, another program flushed it): nothing is held.
      if (error instanceof TpmResponseError) return true;
      if (name && !this.transport.resourceManaged && this.orphans.length < 8) this.orphans.push({ handle, name });
      return false;
    }
  }

  /** Flushes what an earlier connection left, each only if the handle still holds the same object. */
  private async sweep(connection: TpmConnection): Promise<void> {
    const orphans = this.orphans;
    this.orphans = [];
    for (const { handle, name } of orphans) {
      try {
        const found = parseReadPublic(await this.execute(connection, readPublic(handle)));
        if (found.name.equals(name)) await this.execute(connection, flushContext(handle));
      } catch {
        // Gone, or another object now: not ours to flush.
      }
    }
  }

  /** Parses what a response's parameters hold; a MarshalError becomes a typed error naming the TPM. */
  parse<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof MarshalError) throw malformedResponse(error.message, this.transport.location);
      throw error;
    }
  }

  /** Closes the kept connection (a resource manager then flushes what it held). */
  async close(): Promise<void> {
    await this.queue;
    if (this.orphans.length > 0) await this.run(async () => undefined).catch(() => undefined);
    const kept = this.kept;
    this.kept = undefined;
    await kept?.close();
  }
}
