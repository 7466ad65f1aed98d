import type { KeyObject, X509Certificate } from "node:crypto";
import type { MaterialInput } from "./material.js";
import type { Signer } from "./signer.js";
import type { Pkcs11Config } from "./sources/pkcs11/config.js";
import type { TpmOptions } from "./sources/tpm/options.js";
import type { TlsKey } from "./tls-key.js";

/** Where the certificate, its chain and its key come from. Shared by every mechanism. */
export interface IdentityInit {
  /**
   * The end-entity certificate: file path, PEM text or bytes (PEM or DER). A PEM may also hold the chain and the key.
   * A PKCS#12 file (`.p12`/`.pfx`, recognised by its content) holds the certificate, its key and intermediates: leave
   * `privateKey` out, and give its password as `passphrase`.
   * PKCS#11: a `pkcs11:` URI reads it from the token; omitted beside `pkcs11`, the token's certificate of the key is used.
   */
  certificate?: MaterialInput;
  /** Intermediate CA certificates, in any order: one bundle or a list. */
  certificateChain?: MaterialInput | MaterialInput[];
  /**
   * The private key: file path, PEM text or bytes, or a `pkcs11:` URI (RFC 7512). Not needed when `certificate` holds it or `signer` is given.
   * A TPM 2.0 key: a TSS2 key file (`-----BEGIN TSS2 PRIVATE KEY-----`, found by its label) or a persistent key `handle:0x81000002`; see `tpm`.
   */
  privateKey?: MaterialInput;
  /** Passphrase of an encrypted PKCS#8 key, or password of a PKCS#12 `certificate` (none needed for the empty password). */
  passphrase?: string;
  /** A key held elsewhere (HSM); replaces `privateKey`. */
  signer?: Signer;
  /**
   * A key on a PKCS#11 token (HSM, smart card, TPM): `{ library, userPin, slotId?, tokenLabel?, privateKeyLabel? }`
   * or a `pkcs11:` URI. The token session is opened at the first refresh and kept across refreshes until the
   * session (or provider) is closed. The optional `pkcs11js` package is loaded only when this (or a `pkcs11:` URI) is used.
   */
  pkcs11?: Pkcs11Config | string;
  /**
   * For a TPM 2.0 key (`privateKey` a TSS2 key file or `handle:0x81…`): which TPM (`device`: default `TPM_DEVICE`, else
   * `/dev/tpmrm0`; `swtpm:host=H,port=P` for a simulator) and the key's password (`keyPassword`, `""` for none).
   * Signs IAM Roles Anywhere requests; for IoT's mutual TLS, reach the key through tpm2-pkcs11 (`pkcs11`).
   */
  tpm?: TpmOptions;
}

/** A certificate with its chain and a way to sign, checked and ready for a request. */
export interface Identity {
  certificate: X509Certificate;
  /** Intermediates, ordered from the certificate's issuer upwards. */
  chain: X509Certificate[];
  /** Standard base64 of the certificate's DER (the `X-Amz-X509` header). */
  certificateBase64: string;
  /** Comma-separated base64 DER of the chain (`X-Amz-X509-Chain`), empty when there is none. */
  chainBase64: string;
  /** Serial number in decimal (the SigV4-X509 credential). */
  serialNumber: string;
  signer: Signer;
  /** The key itself when it lives in this process. */
  privateKey?: KeyObject;
  /** How TLS signs a handshake with this key (mutual TLS); absent when the key cannot (an external signer). */
  tlsKey?: () => TlsKey | Promise<TlsKey>;
}

/** The option names of {@link IdentityInit}, for the check of unknown options. */
export const IDENTITY_OPTIONS: readonly (keyof IdentityInit)[] = ["certificate", "certificateChain", "privateKey", "passphrase", "signer", "pkcs11", "tpm"];
