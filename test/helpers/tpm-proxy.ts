/**
 * The one duty of a resource manager that TPM tools rely on, in front of a
 * raw swtpm: when a client disconnects, the transient objects and sessions
 * it created and did not flush are flushed. tpm2-tools and tpm2_ptool leave
 * every object they load behind (a resource manager cleans up after them),
 * and a raw TPM has three object slots: without this, the third tool run
 * fails with TPM_RC_OBJECT_MEMORY.
 *
 * Tools reach it with the `mssim:` TCTI, which keeps one connection for the
 * life of a program (the `swtpm:` TCTI connects once per command, so a
 * connection says nothing about which program made an object). The Microsoft
 * simulator protocol is only a frame around the raw command: `u32 8, u8
 * locality, u32 size, command`, answered `u32 size, response, u32 0`; its
 * platform port (one up) takes power and NV commands, each answered `u32 0`.
 *
 * Clients are served one command at a time over one upstream connection,
 * open only while a client is connected: swtpm serves one connection at a
 * time, and certcreds must reach it directly between tool runs. Handles are
 * not virtualised: a client that keeps three objects loaded fills the TPM,
 * as it would on /dev/tpm0.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** Commands whose response's first handle is a new transient object or session. */
const CREATES = new Set([0x131, 0x157, 0x167, 0x161, 0x186, 0x15b, 0x191, 0x176]);
const FLUSH_CONTEXT = 0x165;
const MSSIM_SEND_COMMAND = 8;
const MSSIM_SESSION_END = 20;

export interface TpmProxy {
  /** `mssim:host=127.0.0.1,port=P`, for TPM2TOOLS_TCTI, TPM2OPENSSL_TCTI and TPM2_PKCS11_TCTI. */
  tcti: string;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
}

/** Listens on two consecutive free ports (the TCTI finds the platform port one above the TPM port). */
async function listenOnPair(server: Server, platform: Server): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if (!(await listen(server, port))) continue;
    if (await listen(platform, port + 1)) return port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  throw new Error("no two consecutive free ports for the TPM proxy");
}

/** Cuts a byte stream into messages: `next` says how long the message at the front is, or undefined when more bytes are needed. */
function messages(socket: Socket, next: (pending: Buffer) => number | undefined, onMessage: (message: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let length = next(pending); length !== undefined && pending.length >= length; length = next(pending)) {
      onMessage(Buffer.from(pending.subarray(0, length)));
      pending = pending.subarray(length);
    }
  });
}

const rawFrame = (pending: Buffer) => (pending.length >= 6 ? pending.readUInt32BE(2) : undefined);
/** An mssim message: a command frame, or a bare u32 (session end). */
const mssimFrame = (pending: Buffer) => {
  if (pending.length < 4) return undefined;
  if (pending.readUInt32BE(0) !== MSSIM_SEND_COMMAND) return 4;
  return pending.length >= 9 ? 9 + pending.readUInt32BE(5) : undefined;
};

export async function startTpmProxy(upstreamPort: number): Promise<TpmProxy> {
  let upstream: Socket | undefined;
  let clients = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let answer: ((frame: Buffer) => void) | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };

  const openUpstream = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(upstreamPort, "127.0.0.1");
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
      messages(socket, rawFrame, (frame) => answer?.(frame));
    });

  /** Sends one raw command upstream, alone. */
  const send = (command: Buffer): Promise<Buffer> => {
    const result = queue.then(async () => {
      upstream ??= await openUpstream();
      const socket = upstream;
      return new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("swtpm did not answer in 60 s")), 60_000);
        answer = (frame) => {
          clearTimeout(timer);
          answer = undefined;
          resolve(frame);
        };
        socket.write(command);
      });
    });
    queue = result.catch(() => undefined);
    return result;
  };

  const flushCommand = (handle: number) => {
    const command = Buffer.alloc(14);
    command.writeUInt16BE(0x8001, 0);
    command.writeUInt32BE(14, 2);
    command.writeUInt32BE(FLUSH_CONTEXT, 6);
    command.writeUInt32BE(handle, 10);
    return command;
  };

  /** A client connection: its commands forwarded, what it leaves loaded flushed when it goes. */
  const serve = (client: Socket) => {
    track(client);
    clients++;
    const created = new Set<number>();
    messages(client, mssimFrame, (message) => {
      if (message.length === 4) {
        if (message.readUInt32BE(0) === MSSIM_SESSION_END) client.end();
        return;
      }
      const command = message.subarray(9);
      const code = command.readUInt32BE(6);
      const flushed = code === FLUSH_CONTEXT && command.length >= 14 ? command.readUInt32BE(10) : undefined;
      void send(command).then(
        (response) => {
          if (response.readUInt32BE(6) === 0) {
            if (CREATES.has(code) && response.length >= 14) created.add(response.readUInt32BE(10));
            if (flushed !== undefined) created.delete(flushed);
          }
          if (client.destroyed) return;
          const size = Buffer.alloc(4);
          size.writeUInt32BE(response.length);
          client.write(Buffer.concat([size, response, Buffer.alloc(4)]));
        },
        () => client.destroy(),
      );
    });
    client.on("error", () => undefined);
    client.on("close", () => {
      void (async () => {
        for (const handle of created) {
          await send(flushCommand(handle)).catch(() => undefined);
        }
        clients--;
        await queue;
        if (clients === 0 && upstream) {
          upstream.end();
          upstream = undefined;
        }
      })();
    });
  };

  const mssimServer = createServer(serve);
  // Power-on and NV-on are no-ops for swtpm started with startup-clear: each is acknowledged with 0.
  const platformServer = createServer((client) => {
    track(client);
    messages(
      client,
      (pending) => (pending.length >= 4 ? 4 : undefined),
      (message) => {
        if (message.readUInt32BE(0) === MSSIM_SESSION_END) client.end();
        else client.write(Buffer.alloc(4));
      },
    );
    client.on("error", () => undefined);
  });
  const port = await listenOnPair(mssimServer, platformServer);
  return {
    tcti: `mssim:host=127.0.0.1,port=${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([mssimServer, platformServer].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      upstream?.destroy();
    },
  };
}
