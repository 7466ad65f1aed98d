/**
 * A hostile TPM for tests: a TCP server that speaks just enough TPM 2.0
 * (CreatePrimary, Load, ReadPublic, Sign, FlushContext, GetCapability; three
 * object slots) for certcreds' client, with a hook that rewrites, delays or
 * drops any response. Real tests of TPM behaviour run on swtpm; this one is
 * for what swtpm never does: malformed, oversized, late or missing answers.
 * Written from the TPM 2.0 specification, sharing no code with src/.
 */
import { constants, createHash, generateKeyPairSync, type KeyObject, privateEncrypt, randomBytes, sign } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { tss2Pem } from "./tss2.js";

export type FakeKeyType = "ec-p256" | "rsa-2048";

/** What the hook does with a response: send these bytes instead, stay silent, close, or drip it byte by byte. */
export type Tamper = Buffer | "silent" | "close" | { dripMs: number };

export interface FakeTpm {
  device: string;
  publicKey: KeyObject;
  /** A TSS2 key file of the fake key (owner hierarchy, no password unless `password` was given). */
  keyPem: string;
  /** Command codes received, in order. */
  commands: number[];
  /** Transient handles loaded now. */
  loaded: Set<number>;
  /** Rewrites the n-th response (0-based over the server's life); undefined keeps it. */
  tamper: ((response: Buffer, index: number, commandCode: number) => Tamper | undefined) | undefined;
  /** Makes signatures over `data` possible (the fake signs the data whose SHA-256 it is asked to sign). */
  expect(data: Buffer): void;
  close(): Promise<void>;
}

const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
};
const sized = (bytes: Buffer) => Buffer.concat([u16(bytes.length), bytes]);

function publicArea(publicKey: KeyObject, type: FakeKeyType): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const head = Buffer.concat([u16(type === "rsa-2048" ? 0x0001 : 0x0023), u16(0x000b), u32(0x00040072), u16(0)]);
  if (type === "rsa-2048") {
    return Buffer.concat([head, u16(0x0010), u16(0x0010), u16(2048), u32(0), sized(Buffer.from(jwk.n!, "base64url"))]);
  }
  return Buffer.concat([
    head,
    u16(0x0010),
    u16(0x0010),
    u16(0x0003),
    u16(0x0010),
    sized(Buffer.from(jwk.x!, "base64url")),
    sized(Buffer.from(jwk.y!, "base64url")),
  ]);
}

function response(tag: number, rc: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([u16(tag), u32(10 + body.length), u32(rc), body]);
}

/** A success with sessions: handles, parameterSize, parameters, one password-session acknowledgement. */
function withSession(handles: number[], parameters: Buffer): Buffer {
  return response(0x8002, 0, Buffer.concat([...handles.map(u32), u32(parameters.length), parameters, u16(0), Buffer.from([1]), u16(0)]));
}

const DIGEST_INFO_SHA256 = Buffer.from("3031300d060960864801650304020105000420", "hex");

export async function startFakeTpm(type: FakeKeyType = "ec-p256", password = ""): Promise<FakeTpm> {
  const { privateKey, publicKey } =
    type === "rsa-2048" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const area = publicArea(publicKey, type);
  const name = Buffer.concat([u16(0x000b), createHash("sha256").update(area).digest()]);
  const keyBlob = randomBytes(126);
  const signable = new Map<string, Buffer>();
  const loaded = new Set<number>();
  const commands: number[] = [];
  let sent = 0;
  const fake: FakeTpm = {
    device: "",
    publicKey,
    keyPem: tss2Pem({ publicBytes: sized(area), privateBytes: sized(keyBlob), emptyAuth: password === "" }),
    commands,
    loaded,
    tamper: undefined,
    expect(data) {
      signable.set(createHash("sha256").update(data).digest("hex"), data);
    },
    close: async () => undefined,
  };

  const allocate = (): number | undefined => {
    for (let slot = 0; slot < 3; slot++) if (!loaded.has(0x80000000 + slot)) return 0x80000000 + slot;
    return undefined;
  };

  /** The authorisation of the first session of a command with sessions, and the parameters after the area. */
  const sessionParts = (command: Buffer, handles: number) => {
    const areaAt = 10 + 4 * handles;
    const areaSize = command.readUInt32BE(areaAt);
    const nonceSize = command.readUInt16BE(areaAt + 8);
    const hmacAt = areaAt + 4 + 4 + 2 + nonceSize + 1;
    const hmac = command.subarray(hmacAt + 2, hmacAt + 2 + command.readUInt16BE(hmacAt));
    return { hmac, parameters: command.subarray(areaAt + 4 + areaSize) };
  };

  const answer = (command: Buffer): Buffer => {
    const code = command.readUInt32BE(6);
    commands.push(code);
    switch (code) {
      case 0x131: {
        const handle = allocate();
        if (handle === undefined) return response(0x8001, 0x902);
        loaded.add(handle);
        const ticket = Buffer.concat([u16(0x8021), u32(0x40000001), sized(randomBytes(32))]);
        return withSession([handle], Buffer.concat([sized(randomBytes(90)), sized(Buffer.alloc(0)), sized(randomBytes(32)), ticket, sized(randomBytes(34))]));
      }
      case 0x157: {
        const parent = command.readUInt32BE(10);
        if (!loaded.has(parent)) return response(0x8001, 0x18b);
        const handle = allocate();
        if (handle === undefined) return response(0x8001, 0x902);
        loaded.add(handle);
        return withSession([handle], sized(name));
      }
      case 0x173: {
        const handle = command.readUInt32BE(10);
        if (!loaded.has(handle)) return response(0x8001, 0x18b);
        return response(0x8001, 0, Buffer.concat([sized(area), sized(name), sized(name)]));
      }
      case 0x165: {
        const handle = command.readUInt32BE(10);
        if (!loaded.delete(handle)) return response(0x8001, 0x1cb);
        return response(0x8001, 0);
      }
      case 0x15d: {
        if (!loaded.has(command.readUInt32BE(10))) return response(0x8001, 0x18b);
        const { hmac, parameters } = sessionParts(command, 1);
        if (hmac.toString("utf8") !== password) return response(0x8001, 0x98e);
        const digest = parameters.subarray(2, 2 + parameters.readUInt16BE(0));
        const data = signable.get(digest.subarray(-32).toString("hex"));
        if (!data) return response(0x8001, 0x2c4);
        if (type === "rsa-2048") {
          const signature = privateEncrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
            Buffer.concat([DIGEST_INFO_SHA256, digest.subarray(-32)]),
          );
          return withSession([], Buffer.concat([u16(0x0014), u16(0x000b), sized(signature)]));
        }
        const raw = sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
        return withSession([], Buffer.concat([u16(0x0018), u16(0x000b), sized(raw.subarray(0, 32)), sized(raw.subarray(32))]));
      }
      case 0x17a: {
        const properties = [
          [0x200, 0],
          [0x20e, 1],
          [0x20f, 3],
          [0x210, 1000],
          [0x211, 1000],
        ];
        return response(0x8001, 0, Buffer.concat([Buffer.from([0]), u32(6), u32(properties.length), ...properties.flatMap(([p, v]) => [u32(p!), u32(v!)])]));
      }
      default:
        return response(0x8001, 0x143);
    }
  };

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 10 && pending.length >= pending.readUInt32BE(2)) {
        const command = pending.subarray(0, pending.readUInt32BE(2));
        pending = pending.subarray(command.length);
        const honest = answer(command);
        const tampered = fake.tamper?.(honest, sent++, command.readUInt32BE(6)) ?? honest;
        if (tampered === "silent") continue;
        if (tampered === "close") {
          socket.destroy();
          return;
        }
        if (Buffer.isBuffer(tampered)) {
          socket.write(tampered);
          // A response that claims more bytes than it has would leave a client waiting: a broken TPM hangs up.
          if (tampered.length < 6 || tampered.readUInt32BE(2) > tampered.length) socket.end();
          continue;
        }
        const bytes = honest;
        let at = 0;
        const drip = setInterval(() => {
          if (socket.destroyed || at >= bytes.length) return clearInterval(drip);
          socket.write(bytes.subarray(at, ++at));
        }, tampered.dripMs);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.device = `swtpm:host=127.0.0.1,port=${(server.address() as { port: number }).port}`;
  fake.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
