import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../core/node-builtins.js";

/** The SigV4-X509 algorithm names, one per key family. */
export type SigningAlgorithm = "AWS4-X509-RSA-SHA256" | "AWS4-X509-ECDSA-SHA256";

/**
 * A private key that can sign, wherever it lives (memory, file, HSM).
 * Mechanisms only ever see this interface, so a new key source is a new
 * Signer and nothing else.
 */
export interface Signer {
  /** Chooses the SigV4-X509 algorithm name: RSA or ECDSA. */
  readonly algorithm: SigningAlgorithm;
  /**
   * Signs `data` hashed with SHA-256: RSA PKCS#1 v1.5, or ECDSA as an ASN.1
   * DER `SEQUENCE { r, s }`.
   */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The public key, used to check that the key belongs to the certificate. */
  publicKey?(): KeyObject | Promise<KeyObject>;
  /** Releases what the signer holds (HSM sessions). */
  close?(): void | Promise<void>;
}

/** The algorithm for a key object (already checked to be RSA or EC). */
export function algorithmFor(key: KeyObject): SigningAlgorithm {
  return key.asymmetricKeyType === "ec" ? "AWS4-X509-ECDSA-SHA256" : "AWS4-X509-RSA-SHA256";
}

/** A Signer over a key held in this process (from a file, PEM text or bytes). */
export class KeyObjectSigner implements Signer {
  readonly algorithm: SigningAlgorithm;

  constructor(private readonly key: KeyObject) {
    this.algorithm = algorithmFor(key);
  }

  sign(data: Uint8Array): Uint8Array {
    // Node's defaults are the ones SigV4-X509 wants: PKCS#1 v1.5 for RSA, DER for ECDSA.
    return nodeCrypto().sign("sha256", data, this.key);
  }

  publicKey(): KeyObject {
    return nodeCrypto().createPublicKey(this.key);
  }
}
