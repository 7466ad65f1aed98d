/**
 * How a TLS client authenticates with an identity's key. The IoT mechanism
 * hands it to src/transport/mtls/, which picks the backend by `kind`:
 * Node's own `tls` for a key in this process, aws-crt for a key on a token.
 */
export type TlsKey = PemTlsKey | Pkcs11TlsKey;

/** A key in this process, as the PEM text Node's TLS takes. */
export interface PemTlsKey {
  kind: "pem";
  pem: string;
}

/** A key on a PKCS#11 token, as a TLS stack that signs on the token (aws-crt) selects it. */
export interface Pkcs11TlsKey {
  kind: "pkcs11";
  library: string;
  slotId: number;
  tokenLabel: string;
  /** CKA_LABEL of the key when it designates the key alone on its token; undefined when the key is the token's only private key. */
  keyLabel: string | undefined;
  /** The user PIN (kept in memory only, never logged). */
  pin: string | undefined;
  /** The key's description for messages. */
  keyName: string;
  /** False when a label-only lookup (what TLS stacks such as aws-crt do) cannot single the key out. */
  selectableByLabel: boolean;
}
