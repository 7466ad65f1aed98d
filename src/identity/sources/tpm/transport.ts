/**
 * How command bytes reach a TPM: a character device (`/dev/tpmrm0`, the
 * kernel's resource manager; `/dev/tpm0`, the raw TPM) or TCP to a TPM
 * simulator (`swtpm:host=H,port=P`, the TCTI syntax of tpm2-tools). Both
 * carry raw TPM 2.0 commands and responses. Every wait is bounded and every
 * response is bounded in size and checked against its header before a
 * command parser sees it.
 */
import type { Socket } from "node:net";
import { TpmError } from "./errors.js";

/** Larger than any response of the commands certcreds sends (TPMs announce 4096 at most in practice). */
export const MAX_RESPONSE_BYTES = 8192;
const HEADER_BYTES = 10;

/** One open channel to a TPM: commands go one at a time. */
export interface TpmConnection {
  /** Sends one command; resolves with its whole response (size checked against the header). */
  transact(command: Buffer, timeoutMs: number): Promise<Buffer>;
  /** Whether the channel failed (a time-out, a malformed response): it must not be used again. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** Where a TPM is. */
export interface TpmTransport {
  /** How messages name it: `/dev/tpmrm0`, `swtpm:host=127.0.0.1,port=2321`. */
  readonly location: string;
  /**
   * Whether the TPM is behind a resource manager that flushes a connection's
   * objects when it closes (`/dev/tpmrm*`): a kept connection then keeps a
   * loaded key safely, and a crash leaks nothing.
   */
  readonly resourceManaged: boolean;
  connect(timeoutMs: number): Promise<TpmConnection>;
}

/** The option that names the TPM, for messages. */
export const DEVICE_OPTION = "tpm.device";
const FIX = "pass another with tpm.device (--tpm-device, TPM_DEVICE)";

function noTpm(location: string, why: string, cause?: unknown): TpmError {
  return new TpmError("no-tpm", DEVICE_OPTION, `No TPM at ${location}: ${why}; ${FIX}.`, undefined, cause === undefined ? undefined : { cause });
}

function timeout(location: string, what: string): TpmError {
  return new TpmError(
    "timeout",
    DEVICE_OPTION,
    `The TPM at ${location} did not ${what} in time: check that it is not busy or hung (another program may hold it), or ${FIX}.`,
  );
}

/** Checks a response's header against the bytes received; the rest is the command parser's. */
function checkFrame(location: string, bytes: Buffer): Buffer {
  const size = bytes.readUInt32BE(2);
  if (size < HEADER_BYTES || size > MAX_RESPONSE_BYTES || size !== bytes.length) {
    throw new TpmError(
      "response",
      DEVICE_OPTION,
      `The TPM at ${location} sent a response whose size field (${size}) does not match what it sent (${bytes.length} bytes): ${FIX} if it is not a TPM 2.0.`,
    );
  }
  return bytes;
}

/** TCP to a simulator speaking raw TPM commands on its server port (swtpm `--server type=tcp`). */
export class TcpTransport implements TpmTransport {
  readonly resourceManaged = false;
  readonly location: string;
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.location = `swtpm:host=${host},port=${port}`;
  }

  async connect(timeoutMs: number): Promise<TpmConnection> {
    const { connect } = await import("node:net");
    const socket = await new Promise<Socket>((resolve, reject) => {
      const candidate = connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        candidate.destroy();
        reject(timeout(this.location, "accept a connection"));
      }, timeoutMs);
      candidate.once("connect", () => {
        clearTimeout(timer);
        candidate.setNoDelay(true);
        resolve(candidate);
      });
      candidate.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          noTpm(
            this.location,
            error.code === "ECONNREFUSED" ? "nothing listens there (is swtpm running?)" : `cannot connect (${error.code ?? error.message})`,
            error,
          ),
        );
      });
    });
    return new TcpConnection(socket, this.location);
  }
}

class TcpConnection implements TpmConnection {
  broken = false;
  private chunks: Buffer[] = [];
  private received = 0;
  private waiter: { resolve(bytes: Buffer): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly location: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) =>
      this.fail(
        new TpmError("no-tpm", DEVICE_OPTION, `The connection to the TPM at ${location} failed (${(error as NodeJS.ErrnoException).code ?? error.message}).`),
      ),
    );
    socket.on("close", () => this.fail(new TpmError("response", DEVICE_OPTION, `The TPM at ${location} closed the connection before a whole response.`)));
  }

  private fail(error: Error): void {
    this.broken = true;
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  private onData(chunk: Buffer): void {
    if (!this.waiter) {
      this.fail(new TpmError("response", DEVICE_OPTION, `The TPM at ${this.location} sent bytes no command asked for.`));
      return;
    }
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < HEADER_BYTES) return;
    const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [head];
    const size = head.readUInt32BE(2);
    if (size < HEADER_BYTES || size > MAX_RESPONSE_BYTES || this.received > size) {
      this.socket.destroy();
      this.fail(
        new TpmError(
          "response",
          DEVICE_OPTION,
          `The TPM at ${this.location} sent a response that is not TPM 2.0 framing (size field ${size}, ${this.received} bytes received).`,
        ),
      );
      return;
    }
    if (this.received === size) {
      const waiter = this.waiter;
      this.waiter = undefined;
      this.chunks = [];
      this.received = 0;
      waiter.resolve(head);
    }
  }

  transact(command: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        this.fail(timeout(this.location, "answer a command"));
      }, timeoutMs);
      this.waiter = {
        resolve: (bytes) => {
          clearTimeout(timer);
          resolve(bytes);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.socket.write(command);
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    this.failure ??= new TpmError("response", DEVICE_OPTION, `The connection to the TPM at ${this.location} is closed.`);
    // Nothing is in flight between commands: closing at once lets the next client of a one-connection simulator in sooner.
    this.socket.destroy();
  }
}

/** A TPM character device: each write is one command, each read returns its response. */
export class DeviceTransport implements TpmTransport {
  readonly resourceManaged: boolean;
  constructor(readonly location: string) {
    this.resourceManaged = /(^|\/)tpmrm\d*$/.test(location);
  }

  async connect(): Promise<TpmConnection> {
    const [{ open, stat }, { constants }] = await Promise.all([import("node:fs/promises"), import("node:fs")]);
    try {
      // A FIFO or a regular file is not a TPM: refuse it before an open or a read could wait on it.
      const info = await stat(this.location);
      if (!info.isCharacterDevice()) throw noTpm(this.location, "it is not a character device");
      return new DeviceConnection(await open(this.location, constants.O_RDWR), this.location);
    } catch (error) {
      if (error instanceof TpmError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "the device does not exist (no TPM, or its driver is not loaded)"
          : code === "EACCES" || code === "EPERM"
            ? "this user may not open it (add the user to the tss group, or run with access to it)"
            : code === "EBUSY"
              ? "another program has it open (the raw /dev/tpm0 takes one user; use /dev/tpmrm0)"
              : `it cannot be opened (${code ?? (error as Error).message})`;
      throw noTpm(this.location, why, error);
    }
  }
}

class DeviceConnection implements TpmConnection {
  broken = false;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handle: import("node:fs/promises").FileHandle,
    private readonly location: string,
  ) {}

  transact(command: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.broken) return Promise.reject(new TpmError("response", DEVICE_OPTION, `The TPM device ${this.location} failed earlier: open it again.`));
    const io = (async () => {
      await this.handle.write(command, 0, command.length).catch((cause: NodeJS.ErrnoException) => {
        throw new TpmError(
          "no-tpm",
          DEVICE_OPTION,
          `The device ${this.location} refused a command (${cause.code ?? cause.message}): it is not a TPM; ${FIX}.`,
          undefined,
          { cause },
        );
      });
      const buffer = Buffer.alloc(MAX_RESPONSE_BYTES + 1);
      let length = 0;
      // The kernel returns a whole response per read; a short read is completed, never exceeded.
      while (length < HEADER_BYTES || length < buffer.readUInt32BE(2)) {
        const { bytesRead } = await this.handle.read(buffer, length, buffer.length - length, null).catch((cause: NodeJS.ErrnoException) => {
          throw new TpmError("no-tpm", DEVICE_OPTION, `The device ${this.location} failed to answer (${cause.code ?? cause.message}); ${FIX}.`, undefined, {
            cause,
          });
        });
        if (bytesRead === 0) throw new TpmError("response", DEVICE_OPTION, `The device ${this.location} ended a response early: it is not a TPM; ${FIX}.`);
        length += bytesRead;
        if (length >= HEADER_BYTES && buffer.readUInt32BE(2) > MAX_RESPONSE_BYTES) break;
      }
      return checkFrame(this.location, buffer.subarray(0, length));
    })();
    this.pending = io.catch(() => undefined);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The read may still be running on a pool thread: the file stays open until it ends (see close).
        this.broken = true;
        reject(timeout(this.location, "answer a command"));
      }, timeoutMs);
      io.then(
        (bytes) => {
          clearTimeout(timer);
          resolve(bytes);
        },
        (error) => {
          clearTimeout(timer);
          this.broken = true;
          reject(error);
        },
      );
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    // Closing while a read is in flight would let the descriptor be reused under it: wait for it first.
    void this.pending.finally(() => this.handle.close().catch(() => undefined));
  }
}
