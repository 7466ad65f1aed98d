import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../core/node-builtins.js";

/** The SigV4-X509 algorithm names, one per key family. */
export type SigningAlgorithm = "AWS4-X509-RSA-SHA256" | "AWS4-X509-ECDSA-SHA256" | "AWS4-X509-MLDSA";

/**
 * A private key that can sign, wherever it lives (memory, file, HSM).
 * Mechanisms only ever see this interface, so a new key source is a new
 * Signer and nothing else.
 */
export interface Signer {
  /** Chooses the SigV4-X509 algorithm name: RSA, ECDSA or ML-DSA. */
  readonly algorithm: SigningAlgorithm;
  /**
   * Signs `data` (the bytes of the string to sign): RSA PKCS#1 v1.5 or ECDSA
   * as an ASN.1 DER `SEQUENCE { r, s }` over its SHA-256; ML-DSA over `data`
   * itself (pure ML-DSA, empty context).
   */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The public key, used to check that the key belongs to the certificate. */
  publicKey?(): KeyObject | Promise<KeyObject>;
  /** Releases what the signer holds (HSM sessions). */
  close?(): void | Promise<void>;
}

/** The algorithm for a key object (already checked to be RSA, EC or ML-DSA). */
export function algorithmFor(key: KeyObject): SigningAlgorithm {
  const type = key.asymmetricKeyType as string | undefined;
  if (type === "ec") return "AWS4-X509-ECDSA-SHA256";
  return type?.startsWith("ml-dsa-") ? "AWS4-X509-MLDSA" : "AWS4-X509-RSA-SHA256";
}

/** A Signer over a key held in this process (from a file, PEM text or bytes). */
export class KeyObjectSigner implements Signer {
  readonly algorithm: SigningAlgorithm;
  /** SHA-256 for RSA and ECDSA; none for ML-DSA, which signs the message itself. */
  private readonly digest: "sha256" | null;

  constructor(private readonly key: KeyObject) {
    this.algorithm = algorithmFor(key);
    this.digest = this.algorithm === "AWS4-X509-MLDSA" ? null : "sha256";
  }

  sign(data: Uint8Array): Uint8Array {
    // Node's defaults are the ones SigV4-X509 wants: PKCS#1 v1.5 for RSA, DER for ECDSA, an empty context for ML-DSA.
    return nodeCrypto().sign(this.digest, data, this.key);
  }

  publicKey(): KeyObject {
    return nodeCrypto().createPublicKey(this.key);
  }
}
