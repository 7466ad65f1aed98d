/**
 * One TPM key that signs: loaded under its parent (or found at its
 * persistent handle), asked to sign a SHA-256 digest, and flushed — or,
 * when that is safe, kept loaded for the next refresh. Every transient
 * object loaded here is flushed, on success or failure: a TPM without a
 * resource manager has three slots.
 */
import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";
import type { SecretText } from "../pkcs11/pin.js";
import { ecdsaRawToDer } from "../pkcs11/ecdsa-der.js";
import { strayHandles, type TpmClient, TpmResponseError, type TpmSession } from "./client.js";
import * as commands from "./commands.js";
import { HIERARCHIES, hex, isPersistentHandle } from "./constants.js";
import { malformedResponse, TpmError } from "./errors.js";
import { isWrongPassword, loadError, lockout, primaryError, signError, wrongPassword } from "./explain.js";
import { objectName, type PublicArea, type SigningProfile } from "./public-area.js";
import { RC } from "./response-codes.js";

/** Where the key is: a blob from a key file, or a persistent handle. */
export type KeyLocation = { kind: "blob"; parent: number; privateBytes: Buffer; publicBytes: Buffer } | { kind: "persistent"; handle: number };

/** The key's password and where it came from (for messages). */
export interface KeyPassword {
  value: SecretText | undefined;
  /** `tpm.keyPassword (--tpm-key-password)`, `the terminal`, `the empty password`. */
  from: string;
}

export interface TpmKeyInit {
  client: TpmClient;
  location: KeyLocation;
  area: PublicArea;
  profile: SigningProfile;
  publicKey: KeyObject;
  password: KeyPassword;
  /** How messages name the key. */
  label: string;
  /** Keep the key loaded between signatures (see TpmOptions.keepLoaded). */
  keepLoaded: boolean;
}

export class TpmKey {
  readonly name: Buffer | undefined;
  /** A kept transient handle and the connection generation it was loaded in. */
  private kept: { handle: number; generation: number } | undefined;
  /** A wrong password is never sent again: its error, returned at every later signature. */
  private refused: TpmError | undefined;
  /** Counters for tests and benchmarks: objects loaded and flushed. */
  readonly stats = { loads: 0, flushes: 0, signatures: 0 };

  constructor(private readonly init: TpmKeyInit) {
    this.name = objectName(init.area);
  }

  get label(): string {
    return this.init.label;
  }

  /** The transient handle kept loaded, if any (for tests). */
  get keptHandle(): number | undefined {
    return this.kept?.handle;
  }

  /** Signs SHA-256(data): PKCS#1 v1.5 for RSA, DER `SEQUENCE { r, s }` for ECDSA, checked against the public key. */
  async sign(data: Uint8Array): Promise<Buffer> {
    if (this.refused) throw this.refused;
    const { client, profile } = this.init;
    const hash = nodeCrypto().createHash("sha256").update(data).digest();
    const digest = Buffer.concat([Buffer.alloc(profile.digestSize - hash.length), hash]);
    const signature = await client.run(async (session) => {
      for (let attempt = 0; ; attempt++) {
        const { handle, transient, reused } = await this.handleFor(session);
        let flushAfter = transient && !this.init.keepLoaded;
        try {
          return await this.signWith(session, handle, digest);
        } catch (error) {
          if (transient && this.init.keepLoaded) {
            this.kept = undefined;
            // A kept handle that is gone (a TPM reset, a flush by another program) is not ours to flush: load again, once.
            if (reused && attempt === 0 && error instanceof TpmResponseError && isStaleHandle(error)) continue;
            flushAfter = true;
          }
          throw error;
        } finally {
          if (flushAfter) await this.flush(session, handle);
        }
      }
    });
    if (!verifies(signature, data, this.init.publicKey)) {
      throw new TpmError(
        "response",
        "tpm.device",
        `The TPM at ${client.transport.location} returned a signature that does not verify with ${this.init.label}'s public key: check that tpm.device names the TPM the key is on.`,
      );
    }
    this.stats.signatures++;
    return signature;
  }

  private async signWith(session: TpmSession, handle: number, digest: Buffer): Promise<Buffer> {
    const { client, profile, password, label } = this.init;
    const secret = Buffer.from(password.value?.reveal() ?? "", "utf8");
    const command = commands.sign(handle, secret, digest, profile.scheme, profile.hash);
    try {
      const response = await session.execute(command);
      const signed = client.parse(() => commands.parseSign(response, profile.scheme, profile.hash));
      if ("rsa" in signed) return signed.rsa;
      const size = profile.coordinateSize;
      if (signed.r.length > size || signed.s.length > size)
        throw new TpmError("response", "tpm.device", `The TPM at ${client.transport.location} returned an ECDSA signature larger than the curve.`);
      const pad = (value: Buffer) => Buffer.concat([Buffer.alloc(size - value.length), value]);
      return ecdsaRawToDer(Buffer.concat([pad(signed.r), pad(signed.s)]));
    } catch (error) {
      if (!(error instanceof TpmResponseError)) throw error;
      if (error.decoded.base === RC.LOCKOUT) throw lockout(error, client.transport.location, await lockoutState(session));
      if (isWrongPassword(error)) {
        this.refused = wrongPassword(error, label, password.from, error.decoded.base === RC.AUTH_FAIL ? await lockoutState(session) : undefined);
        throw this.refused;
      }
      throw signError(error, label, client.transport.location);
    } finally {
      secret.fill(0);
      command.bytes.fill(0);
    }
  }

  /** The handle to sign with: the persistent one, the kept one (checked), or a newly loaded one. */
  private async handleFor(session: TpmSession): Promise<{ handle: number; transient: boolean; reused: boolean }> {
    const location = this.init.location;
    if (location.kind === "persistent") return { handle: location.handle, transient: false, reused: false };
    if (this.kept && (await this.keptStillOurs(session))) return { handle: this.kept.handle, transient: true, reused: true };
    this.kept = undefined;
    const handle = await this.load(session, location);
    if (this.init.keepLoaded) this.kept = { handle, generation: session.generation };
    return { handle, transient: true, reused: false };
  }

  /**
   * Behind a resource manager, a handle is ours for as long as the
   * connection lives. On a raw TPM another program may have flushed it and
   * loaded something else there: the name must still be this key's.
   */
  private async keptStillOurs(session: TpmSession): Promise<boolean> {
    const kept = this.kept!;
    if (this.init.client.transport.resourceManaged) return kept.generation === session.generation;
    try {
      const response = await session.execute(commands.readPublic(kept.handle));
      const { name } = this.init.client.parse(() => commands.parseReadPublic(response));
      return this.name !== undefined && name.equals(this.name);
    } catch (error) {
      if (error instanceof TpmResponseError) return false;
      throw error;
    }
  }

  /**
   * Loads the key blob under its parent (the hierarchy's storage primary,
   * made for the load and flushed right after it, or a persistent parent).
   * Whatever this loads is flushed again on any failure, including one the
   * TPM reports only by a malformed answer.
   */
  private async load(session: TpmSession, location: Extract<KeyLocation, { kind: "blob" }>): Promise<number> {
    const { client, label } = this.init;
    const where = client.transport.location;
    const hierarchy = HIERARCHIES[location.parent];
    let primary: number | undefined;
    let primaryName: Buffer | undefined;
    try {
      if (!isPersistentHandle(location.parent)) {
        try {
          const response = await session.execute(commands.createPrimary(location.parent));
          primary = this.transientHandle(response.handles[0]!, "CreatePrimary");
          primaryName = client.parse(() => commands.parseCreatePrimary(response));
        } catch (error) {
          await this.flushStrays(session, error);
          if (error instanceof TpmResponseError) throw primaryError(error, hierarchy ?? hex(location.parent), where);
          throw error;
        }
      }
      let handle: number | undefined;
      try {
        const response = await session.execute(commands.load(primary ?? location.parent, location.privateBytes, location.publicBytes));
        handle = this.transientHandle(response.handles[0]!, "Load");
        this.stats.loads++;
        const name = client.parse(() => commands.parseLoad(response));
        if (this.name !== undefined && !name.equals(this.name)) {
          throw new TpmError("response", "tpm.device", `The TPM at ${where} loaded ${label} under another name than its public area gives.`);
        }
        return handle;
      } catch (error) {
        await this.flushStrays(session, error);
        if (handle !== undefined) await this.flush(session, handle);
        if (error instanceof TpmResponseError) {
          const parentName = hierarchy ? `the ${hierarchy} hierarchy's storage primary` : `the parent ${hex(location.parent)}`;
          throw loadError(error, label, location.parent, parentName, where);
        }
        throw error;
      }
    } finally {
      if (primary !== undefined) await this.flush(session, primary, primaryName);
    }
  }

  /** A handle a TPM returned for a new object: transient, or the answer is not to be trusted. */
  private transientHandle(handle: number, command: string): number {
    if (handle >>> 24 === 0x80) return handle;
    throw malformedResponse(`${command} returned ${hex(handle)}, not a transient handle`, this.init.client.transport.location);
  }

  /** Flushes the objects a malformed answer still named (they may be loaded). */
  private async flushStrays(session: TpmSession, error: unknown): Promise<void> {
    for (const handle of strayHandles(error)) if (handle >>> 24 === 0x80) await this.flush(session, handle, undefined);
  }

  private async flush(session: TpmSession, handle: number, name: Buffer | undefined = this.name): Promise<void> {
    if (await session.flush(handle, name)) this.stats.flushes++;
  }

  /** Flushes a kept key. */
  async release(): Promise<void> {
    const kept = this.kept;
    this.kept = undefined;
    if (!kept) return;
    await this.init.client
      .run(async (session) => {
        if (this.init.client.transport.resourceManaged && kept.generation !== session.generation) return;
        await this.flush(session, kept.handle);
      })
      .catch(() => undefined);
  }
}

/** A kept handle that no longer designates a loaded object. */
function isStaleHandle(error: TpmResponseError): boolean {
  const { base, handle } = error.decoded;
  return (base === RC.HANDLE && handle === 1) || (base === RC.REFERENCE_H0 && handle === 1) || base === RC.INITIALIZE;
}

async function lockoutState(session: TpmSession): Promise<commands.LockoutState | undefined> {
  try {
    return commands.parseLockoutProperties(await session.execute(commands.getLockoutProperties()));
  } catch {
    return undefined;
  }
}

function verifies(signature: Buffer, data: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return nodeCrypto().verify("sha256", data, publicKey, signature);
  } catch {
    return false;
  }
}
