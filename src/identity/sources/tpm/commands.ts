/**
 * The TPM 2.0 commands certcreds sends (Part 3), marshalled and their
 * responses parsed: CreatePrimary, Load, ReadPublic, Sign, FlushContext and
 * GetCapability, with a password session (TPM_RS_PW) where a command needs
 * authorisation. A response is read only within the bounds its header and
 * parameter size give; any inconsistency is a MarshalError.
 */
import { ALG, CAP, CC, OBJECT, PT, RH, ST } from "./constants.js";
import { MarshalError, Reader, Writer } from "./marshal.js";
import { type PublicArea, parseSizedPublic } from "./public-area.js";

/** The largest authorisation value a password session carries (a SHA-512 digest). */
export const MAX_PASSWORD_BYTES = 64;
const MAX_NAME = 2 + 64;
const MAX_SESSION_FIELD = 64;

/** A command ready to send, and how many handles its response carries. */
export interface Command {
  code: number;
  bytes: Buffer;
  responseHandles: number;
  sessions: number;
}

/** Marshals a command: header, handles, password sessions (one per password), parameters. */
export function command(code: number, handles: number[], passwords: Buffer[] | undefined, parameters: Buffer, responseHandles = 0): Command {
  const writer = new Writer()
    .u16(passwords ? ST.SESSIONS : ST.NO_SESSIONS)
    .u32(0)
    .u32(code);
  for (const handle of handles) writer.u32(handle);
  if (passwords) {
    const areaAt = writer.offset;
    writer.u32(0);
    for (const password of passwords) writer.u32(RH.PW).u16(0).u8(0x01).sized(password);
    writer.patchU32(areaAt, writer.offset - areaAt - 4);
  }
  writer.bytes(parameters);
  writer.patchU32(2, writer.offset);
  return { code, bytes: writer.done(), responseHandles, sessions: passwords?.length ?? 0 };
}

/** A successful response taken apart: its handles and a reader bounded to its parameters. */
export interface Response {
  handles: number[];
  parameters: Reader;
}

/** The response code of a response whose frame the transport checked. */
export function responseCode(bytes: Buffer): number {
  return bytes.readUInt32BE(6);
}

/**
 * Splits a successful response: handles, parameters (bounded by
 * parameterSize when sessions were used) and the session area, which must
 * hold one well-formed password-session answer per session sent.
 */
export function splitResponse(sent: Command, bytes: Buffer): Response {
  const reader = new Reader(bytes, "response");
  const tag = reader.u16();
  reader.u32(); // size, checked by the transport
  reader.u32(); // response code, zero here
  if (tag !== (sent.sessions > 0 ? ST.SESSIONS : ST.NO_SESSIONS)) throw new MarshalError(`response tag 0x${tag.toString(16)}`);
  const handles: number[] = [];
  for (let i = 0; i < sent.responseHandles; i++) handles.push(reader.u32());
  if (sent.sessions === 0) return { handles, parameters: new Reader(reader.raw(reader.remaining), "response parameters") };
  const parameterSize = reader.u32();
  const parameters = new Reader(reader.raw(parameterSize), "response parameters");
  for (let i = 0; i < sent.sessions; i++) {
    reader.sized(MAX_SESSION_FIELD, "session nonce");
    reader.u8();
    reader.sized(MAX_SESSION_FIELD, "session acknowledgement");
  }
  reader.end();
  return { handles, parameters };
}

/**
 * The storage primary that AWS's helper and tpm2-openssl re-create for a
 * key file whose parent is a hierarchy: ECC P-256, SHA-256, AES-128-CFB,
 * restricted decryption, noDA, empty unique. Anything else gives another
 * key, under which the file does not load.
 */
export const STORAGE_PRIMARY_TEMPLATE: Buffer = new Writer()
  .u16(ALG.ECC)
  .u16(ALG.SHA256)
  .u32(OBJECT.fixedTPM | OBJECT.fixedParent | OBJECT.sensitiveDataOrigin | OBJECT.userWithAuth | OBJECT.noDA | OBJECT.restricted | OBJECT.decrypt)
  .u16(0) // authPolicy
  .u16(ALG.AES)
  .u16(128)
  .u16(ALG.CFB)
  .u16(ALG.NULL) // scheme
  .u16(0x0003) // NIST P-256
  .u16(ALG.NULL) // KDF
  .u16(0) // unique.x
  .u16(0) // unique.y
  .done();

/** TPM2_CreatePrimary of the storage primary in `hierarchy` (empty hierarchy password). */
export function createPrimary(hierarchy: number): Command {
  const parameters = new Writer()
    .u16(4)
    .u16(0) // userAuth
    .u16(0) // data
    .sized(STORAGE_PRIMARY_TEMPLATE)
    .u16(0) // outsideInfo
    .u32(0) // creationPCR: no selection
    .done();
  return command(CC.CreatePrimary, [hierarchy], [Buffer.alloc(0)], parameters, 1);
}

/** The name of the primary in a CreatePrimary response (after outPublic, creationData, creationHash and creationTicket). */
export function parseCreatePrimary(response: Response): Buffer {
  const reader = response.parameters;
  reader.sized(0xffff, "outPublic");
  reader.sized(0xffff, "creationData");
  reader.sized(MAX_NAME, "creationHash");
  reader.u16();
  reader.u32();
  reader.sized(MAX_NAME, "creation ticket");
  const name = reader.sized(MAX_NAME, "name");
  reader.end();
  return name;
}

/** TPM2_Load of a key blob under `parent` (empty parent password). `privateBytes` and `publicBytes` are the TPM2Bs with their sizes. */
export function load(parent: number, privateBytes: Buffer, publicBytes: Buffer): Command {
  return command(CC.Load, [parent], [Buffer.alloc(0)], Buffer.concat([privateBytes, publicBytes]), 1);
}

/** The name in a Load response. */
export function parseLoad(response: Response): Buffer {
  const name = response.parameters.sized(MAX_NAME, "name");
  response.parameters.end();
  return name;
}

/** TPM2_ReadPublic: needs no authorisation. */
export function readPublic(handle: number): Command {
  return command(CC.ReadPublic, [handle], undefined, Buffer.alloc(0));
}

/** The public area and name in a ReadPublic response. */
export function parseReadPublic(response: Response): { area: PublicArea; publicBytes: Buffer; name: Buffer } {
  const reader = response.parameters;
  const size = reader.u16();
  const publicBytes = Buffer.concat([Buffer.from([size >> 8, size & 0xff]), reader.raw(size)]);
  const name = reader.sized(MAX_NAME, "name");
  reader.sized(MAX_NAME, "qualified name");
  reader.end();
  return { area: parseSizedPublic(publicBytes, "public area"), publicBytes, name };
}

/** TPM2_Sign of a digest, with the key's password, and no hash-check ticket (the key is not restricted). */
export function sign(key: number, password: Buffer, digest: Buffer, scheme: number, hash: number): Command {
  const parameters = new Writer().sized(digest).u16(scheme).u16(hash).u16(ST.HASHCHECK).u32(RH.NULL).u16(0).done();
  return command(CC.Sign, [key], [password], parameters);
}

/** The signature in a Sign response: the RSA signature, or ECDSA's r and s. */
export function parseSign(response: Response, scheme: number, hash: number): { rsa: Buffer } | { r: Buffer; s: Buffer } {
  const reader = response.parameters;
  const algorithm = reader.u16();
  const signedHash = reader.u16();
  if (algorithm !== scheme || signedHash !== hash)
    throw new MarshalError(`a signature of scheme 0x${algorithm.toString(16)} where 0x${scheme.toString(16)} was asked`);
  if (scheme === ALG.RSASSA) {
    const rsa = reader.sized(512, "RSA signature");
    reader.end();
    return { rsa };
  }
  const r = reader.sized(66, "ECDSA r");
  const s = reader.sized(66, "ECDSA s");
  reader.end();
  return { r, s };
}

/** TPM2_FlushContext: the handle is a parameter, not in the handle area. */
export function flushContext(handle: number): Command {
  return command(CC.FlushContext, [], undefined, new Writer().u32(handle).done());
}

/** TPM2_GetCapability of the dictionary-attack properties. */
export function getLockoutProperties(): Command {
  return command(
    CC.GetCapability,
    [],
    undefined,
    new Writer()
      .u32(CAP.TPM_PROPERTIES)
      .u32(PT.PERMANENT)
      .u32(PT.LOCKOUT_RECOVERY - PT.PERMANENT + 1)
      .done(),
  );
}

/** The dictionary-attack state: failures counted, failures allowed, seconds until one is forgotten, whether locked out. */
export interface LockoutState {
  inLockout: boolean;
  counter?: number;
  maxTries?: number;
  recoverySeconds?: number;
  intervalSeconds?: number;
}

export function parseLockoutProperties(response: Response): LockoutState {
  const reader = response.parameters;
  reader.u8(); // moreData
  if (reader.u32() !== CAP.TPM_PROPERTIES) throw new MarshalError("capability data of another capability");
  const count = reader.u32();
  if (count > 64) throw new MarshalError(`${count} properties where at most 18 were asked`);
  const values = new Map<number, number>();
  for (let i = 0; i < count; i++) values.set(reader.u32(), reader.u32());
  reader.end();
  const permanent = values.get(PT.PERMANENT);
  return {
    inLockout: permanent !== undefined && (permanent & (1 << 2)) !== 0,
    ...(values.has(PT.LOCKOUT_COUNTER) ? { counter: values.get(PT.LOCKOUT_COUNTER)! } : {}),
    ...(values.has(PT.MAX_AUTH_FAIL) ? { maxTries: values.get(PT.MAX_AUTH_FAIL)! } : {}),
    ...(values.has(PT.LOCKOUT_RECOVERY) ? { recoverySeconds: values.get(PT.LOCKOUT_RECOVERY)! } : {}),
    ...(values.has(PT.LOCKOUT_INTERVAL) ? { intervalSeconds: values.get(PT.LOCKOUT_INTERVAL)! } : {}),
  };
}
