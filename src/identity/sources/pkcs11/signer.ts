import type { KeyObject, X509Certificate } from "node:crypto";
import type { Signer, SigningAlgorithm } from "../../signer.js";
import type { Pkcs11TlsKey } from "../../tls-key.js";
import { CK } from "./binding.js";
import type { Pkcs11Spec } from "./config.js";
import { Pkcs11Error } from "./errors.js";
import { resolveKey } from "./key-lookup.js";
import { type CertificateObject, findObjects, type KeyInfo } from "./objects.js";
import { signOnToken } from "./sign-on-token.js";
import type { SessionContext, TokenSession } from "./token-session.js";

/**
 * A {@link Signer} whose private key stays on a PKCS#11 token. Signs on one
 * session kept open across refreshes (see `TokenSession`); if the
 * session is lost, the key is looked up again in the new one.
 */
export class Pkcs11Signer implements Signer {
  readonly algorithm: SigningAlgorithm;
  private key: KeyInfo;
  private generation: number;

  /** @internal Built by {@link openPkcs11Signer}. */
  constructor(
    private readonly tokenSession: TokenSession,
    private readonly spec: Pkcs11Spec,
    context: SessionContext,
    key: KeyInfo,
    private readonly certificate: X509Certificate | undefined,
    private readonly certificateObject: CertificateObject | undefined,
    private readonly ownsSession: boolean,
  ) {
    this.key = key;
    this.generation = context.generation;
    this.algorithm = key.keyType === CK.CKK_EC ? "AWS4-X509-ECDSA-SHA256" : "AWS4-X509-RSA-SHA256";
  }

  /** The key as `"label" (id %01) on token "name" (slot n)`, for messages. */
  get description(): string {
    return `PKCS#11 key ${this.key.name} on token ${this.tokenSession.tokenName}`;
  }

  /** How many token sessions this signer's token session has opened: stays 1 while the session lasts. */
  get sessionsOpened(): number {
    return this.tokenSession.sessionsOpened;
  }

  /** Signs `data` (SHA-256, RSA PKCS#1 v1.5 or ECDSA DER) on the token. */
  sign(data: Uint8Array): Promise<Uint8Array> {
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.tokenSession.run((context) =>
      context.generation === this.generation
        ? signOnToken(this.tokenSession, context, this.key, input, this.spec.keyOption)
        : this.keyIn(context).then((key) => signOnToken(this.tokenSession, context, key, input, this.spec.keyOption)),
    );
  }

  /** The key's public half, from the token or (once a trial signature proved it) the certificate. */
  publicKey(): KeyObject {
    if (!this.key.publicKey) {
      throw new Pkcs11Error(
        "object-not-found",
        this.spec.keyOption,
        `Token ${this.tokenSession.tokenName} does not expose the public key of ${this.key.name} and no certificate was given to check it against. Pass the certificate, or load the public key on the token with the same id.`,
      );
    }
    return this.key.publicKey;
  }

  /** @internal The token parameters for a TLS stack that signs on the token itself (mutual TLS). */
  tlsKey(): Promise<Pkcs11TlsKey> {
    return this.tokenSession.run(async (context) => {
      const key = await this.keyIn(context);
      const sameLabel = key.label !== undefined ? this.countKeys(context, key.label) : 0;
      const onlyKey = this.countKeys(context, undefined) === 1;
      return {
        kind: "pkcs11" as const,
        library: this.spec.library,
        slotId: context.token.slotId,
        tokenLabel: context.token.label,
        keyLabel: sameLabel === 1 ? key.label : undefined,
        pin: this.tokenSession.knownPin,
        keyName: key.name,
        selectableByLabel: sameLabel === 1 || onlyKey,
      };
    });
  }

  private countKeys(context: SessionContext, label: string | undefined): number {
    return findObjects(context.module, context.session, CK.CKO_PRIVATE_KEY, label !== undefined ? { label } : {}).length;
  }

  /** The key's handle in this session: looked up again after the session was re-opened. */
  private async keyIn(context: SessionContext): Promise<KeyInfo> {
    if (context.generation !== this.generation) {
      this.key = await resolveKey(
        this.tokenSession,
        context,
        { ...this.spec, key: { ...(this.key.label !== undefined ? { label: this.key.label } : {}), ...(this.key.id ? { id: this.key.id } : {}) } },
        this.certificate,
        this.certificateObject,
      );
      this.generation = context.generation;
    }
    return this.key;
  }

  /** Closes the token session when this signer owns it (a standalone {@link fromPkcs11} signer). */
  async close(): Promise<void> {
    if (this.ownsSession) await this.tokenSession.close();
  }
}

/** Looks up the key (matching it to `certificate` when given) and returns a signer on it. */
export function openPkcs11Signer(
  tokenSession: TokenSession,
  spec: Pkcs11Spec,
  certificate: X509Certificate | undefined,
  certificateObject: CertificateObject | undefined,
  ownsSession: boolean,
): Promise<Pkcs11Signer> {
  return tokenSession.run(async (context) => {
    const key = await resolveKey(tokenSession, context, spec, certificate, certificateObject);
    return new Pkcs11Signer(tokenSession, spec, context, key, certificate, certificateObject, ownsSession);
  });
}
