import type { KeyObject, X509Certificate } from "node:crypto";
import type { Logger } from "../core/logger.js";
import type { IdentityInit } from "./identity-init.js";
import type { Material } from "./material.js";
import type { PemBlock } from "./pem.js";
import type { Signer } from "./signer.js";
import type { TlsKey } from "./tls-key.js";

/**
 * The seam between where a key lives and everything else. A key source
 * yields the key that belongs to a certificate, and may hold the certificate
 * itself (a token, a PKCS#12 file). Everything a source does not do — reading
 * the chain, the key ↔ certificate check, key types, validity, chain order —
 * is done once for every source by {@link openIdentity}.
 */
export interface KeySource {
  /** The certificate (DER, or PEM with the chain) when the source holds it; absent: `certificate` is read as given. */
  readCertificate?(): Promise<Material>;
  /**
   * The key of `certificate`. `beside` holds the private key blocks found in
   * the certificate's own PEM (certificate and key in one file).
   */
  key(certificate: X509Certificate, beside: { blocks: PemBlock[]; label: string }): Promise<SourceKey>;
  /** Releases sessions and handles; the source is not used afterwards. */
  close(): Promise<void>;
}

/** What a source yields for a certificate. */
export interface SourceKey {
  signer: Signer;
  /** How messages name the key: `privateKey file /etc/device.key`, `key "k" on token "t"`. Never its content. */
  label: string;
  /** The key when it lives in this process: the pair check uses it (the cheapest check), and so may TLS. */
  privateKey?: KeyObject;
  /** The public half, for the pair check when the private key is out of reach. */
  publicKey?(): KeyObject | Promise<KeyObject>;
  /** How TLS uses the key; absent when it cannot sign a TLS handshake. */
  tlsKey?(): TlsKey | Promise<TlsKey>;
}

/** One kind of key source, registered in src/identity/sources/index.ts. */
export interface KeySourceKind {
  /** `file`, `pkcs11`, `signer`… */
  readonly name: string;
  /** Whether an init names a key of this kind. Kinds are asked in registry order; the first that claims it opens it. Never throws. */
  claims(init: IdentityInit): boolean;
  /** Checks that need no I/O (conflicting options): a ConfigurationError naming the option. */
  check?(init: IdentityInit): void;
  /** Whether the source reads the certificate itself when `certificate` is omitted. */
  suppliesCertificate?(init: IdentityInit): boolean;
  /** Why keys of this kind cannot do mutual TLS, as `{ option, message }`; absent when they can. */
  readonly noMutualTls?: { option: string; message: string };
  /** Opens the source; heavy code (native bindings) is imported here, on first use. */
  open(init: IdentityInit, context: { logger?: Logger }): Promise<KeySource>;
}
