import type { KeyObject, X509Certificate } from "node:crypto";
import { nodeCrypto } from "../../../core/node-builtins.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySource, SourceKey } from "../../key-source.js";
import { readMaterial } from "../../material.js";
import { type PemBlock, parsePem } from "../../pem.js";
import type { Signer } from "../../signer.js";
import { promptSecret, SecretText } from "../pkcs11/pin.js";
import { TpmClient, type TpmClientOptions, TpmResponseError } from "./client.js";
import * as commands from "./commands.js";
import { hex } from "./constants.js";
import { TpmError } from "./errors.js";
import { readPublicError } from "./explain.js";
import { checkTpmOptions, deviceOf, isHandleReference, parseHandle } from "./options.js";
import { type PublicArea, publicKeyObject, signingProfile } from "./public-area.js";
import { type KeyPassword, type KeyLocation, TpmKey } from "./tpm-key.js";
import { transportFor } from "./tcti.js";
import { parseTss2Key, TSS2_LABEL } from "./tss2-key.js";

/** A key as this refresh found it: where it is, its public area, and what identifies it across refreshes. */
interface FoundKey {
  location: KeyLocation;
  area: PublicArea;
  label: string;
  /** Same value at the next refresh: the same key, which may stay loaded. */
  fingerprint: string;
  /** For a key file: whether it says the key has no password. Undefined for a handle, which does not say. */
  emptyAuth: boolean | undefined;
}

/** The TPM key source of an init, with what it keeps between refreshes. */
export class TpmSource implements KeySource {
  readonly client: TpmClient;
  private current: { fingerprint: string; key: TpmKey; publicKey: KeyObject; signer: Signer; description: string } | undefined;
  private prompted: SecretText | undefined;

  constructor(
    private readonly init: IdentityInit,
    clientOptions: TpmClientOptions = {},
  ) {
    checkTpmOptions(init.tpm);
    this.client = new TpmClient(transportFor(deviceOf(init.tpm)), clientOptions);
  }

  /** The key in use, for tests and benchmarks. */
  get currentKey(): TpmKey | undefined {
    return this.current?.key;
  }

  async key(_certificate: X509Certificate, beside: { blocks: PemBlock[]; label: string }): Promise<SourceKey> {
    const found = await this.find(beside);
    if (this.current?.fingerprint !== found.fingerprint) {
      const profile = signingProfile(found.area, found.label, "privateKey");
      let publicKey: KeyObject;
      try {
        publicKey = publicKeyObject(found.area);
      } catch (cause) {
        throw new TpmError("key-file", "privateKey", `${found.label} holds a public key that is not a valid ${profile.description} key.`, undefined, { cause });
      }
      const password = await this.password(found);
      const previous = this.current;
      const key = new TpmKey({
        client: this.client,
        location: found.location,
        area: found.area,
        profile,
        publicKey,
        password,
        label: found.label,
        keepLoaded: this.init.tpm?.keepLoaded ?? this.client.transport.resourceManaged,
      });
      const signer: Signer = { algorithm: profile.algorithm, sign: (data) => key.sign(data), publicKey: () => publicKey };
      const description = `${found.label}: TPM ${profile.description} key on ${this.client.transport.location}`;
      this.current = { fingerprint: found.fingerprint, key, publicKey, signer, description };
      await previous?.key.release();
    }
    const { signer, publicKey, description } = this.current;
    return { signer, label: description, publicKey: () => publicKey };
  }

  /** Reads the key again (a renewed key file is picked up): a persistent handle's public area, or the file's. */
  private async find(beside: { blocks: PemBlock[]; label: string }): Promise<FoundKey> {
    const input = this.init.privateKey;
    if (isHandleReference(input)) {
      const handle = parseHandle(input);
      const label = `privateKey handle:${hex(handle)}`;
      const { area, name } = await this.client.run(async (session) => {
        try {
          const response = await session.execute(commands.readPublic(handle));
          return this.client.parse(() => commands.parseReadPublic(response));
        } catch (error) {
          if (error instanceof TpmResponseError) throw readPublicError(error, handle, this.client.transport.location);
          throw error;
        }
      });
      return { location: { kind: "persistent", handle }, area, label, fingerprint: `${handle}:${name.toString("hex")}`, emptyAuth: undefined };
    }
    let block: PemBlock;
    let label: string;
    if (input !== undefined) {
      const material = await readMaterial(input, "privateKey");
      label = material.label;
      const blocks = parsePem(material.bytes.toString("utf8")).filter((b) => b.label === TSS2_LABEL);
      if (blocks.length !== 1) {
        throw new TpmError(
          "key-file",
          "privateKey",
          `${label} holds ${blocks.length === 0 ? "no" : blocks.length} "-----BEGIN ${TSS2_LABEL}-----" block${blocks.length === 0 ? "" : "s"}: pass a file with exactly one TSS2 key.`,
        );
      }
      block = blocks[0]!;
    } else {
      const blocks = beside.blocks.filter((b) => b.label === TSS2_LABEL);
      if (blocks.length !== 1) throw new TpmError("key-file", "certificate", `${beside.label} holds ${blocks.length} TSS2 keys: pass the key with privateKey.`);
      block = blocks[0]!;
      label = `TSS2 key in ${beside.label}`;
    }
    if (block.der.length === 0) throw new TpmError("key-file", "privateKey", `${label} is not a readable TSS2 key (its body is not base64): write it again.`);
    const key = parseTss2Key(block.der, label);
    return {
      location: { kind: "blob", parent: key.parent, privateBytes: key.privateBytes, publicBytes: key.publicBytes },
      area: key.public,
      label,
      fingerprint: nodeCrypto().createHash("sha256").update(block.der).digest("hex"),
      emptyAuth: key.emptyAuth,
    };
  }

  /** The key's password; decided before the TPM is asked, so a guess never counts towards lockout. */
  private async password(found: FoundKey): Promise<KeyPassword> {
    const given = this.init.tpm?.keyPassword;
    if (found.emptyAuth === true) {
      if (given !== undefined && given !== "") {
        throw new TpmError(
          "option",
          "tpm.keyPassword",
          `${found.label} has no password (its emptyAuth is set), yet tpm.keyPassword (--tpm-key-password) gives one: leave it out, as a password the key does not have counts as a wrong one.`,
        );
      }
      return { value: undefined, from: "(none: the key file says it has no password)" };
    }
    // Said outright, an empty password is used even where a key file says there is one: tpm2_encodeobject writes emptyAuth FALSE for keys without.
    if (given === "") {
      return { value: undefined, from: "(empty, as --no-tpm-key-password says)" };
    }
    if (given !== undefined)
      return { value: checkedPassword(given, "tpm.keyPassword (--tpm-key-password)"), from: "from tpm.keyPassword (--tpm-key-password)" };
    if (this.prompted) return { value: this.prompted, from: "typed on the terminal" };
    if (process.stdin.isTTY) {
      const typed = await promptSecret(`Password of the TPM key (${found.label}): `).catch((cause) => {
        throw new TpmError("password-missing", "tpm.keyPassword", "TPM key password entry cancelled on the terminal.", undefined, { cause });
      });
      this.prompted = checkedPassword(typed, "the password typed");
      return { value: this.prompted, from: "typed on the terminal" };
    }
    throw new TpmError(
      "password-missing",
      "tpm.keyPassword",
      found.emptyAuth === false
        ? `${found.label} has a password (its emptyAuth is not set): pass it with tpm.keyPassword (--tpm-key-password), or --no-tpm-key-password (tpm.keyPassword "") if it has none.`
        : `${found.label} may have a password, which certcreds does not guess (a wrong one counts towards lockout): pass it with tpm.keyPassword (--tpm-key-password), or --no-tpm-key-password (tpm.keyPassword "") if it has none.`,
    );
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.key.release();
    await this.client.close();
  }
}

function checkedPassword(value: string, from: string): SecretText {
  if (Buffer.byteLength(value, "utf8") > commands.MAX_PASSWORD_BYTES) {
    throw new TpmError(
      "password-incorrect",
      "tpm.keyPassword",
      `The TPM key password ${from} is longer than ${commands.MAX_PASSWORD_BYTES} bytes, which no TPM key has: pass the key's password.`,
    );
  }
  return new SecretText(value);
}

/** Opens the TPM key source of an init; nothing touches the TPM until the first key() or signature. */
export function openTpmSource(init: IdentityInit): KeySource {
  return new TpmSource(init);
}
