import type { KeyObject, X509Certificate } from "node:crypto";
import { ConfigurationError, InputFormatError } from "../core/errors.js";
import { assertValidAt, decimalSerial, orderChain, parseCertificates, publicKeyOf } from "./certificate.js";
import { type MaterialInput, readMaterial } from "./material.js";
import { assertKeyMatchesCertificate, assertSupportedKey, parsePemKeyBlock, parsePrivateKey } from "./sources/file/private-key.js";
import type { Pkcs11Config } from "./sources/pkcs11/config.js";
import { isPkcs11Uri } from "./sources/pkcs11/uri.js";
import { KeyObjectSigner, type Signer } from "./signer.js";

/** Where the certificate, its chain and its key come from. Shared by every mechanism. */
export interface IdentityInit {
  /**
   * The end-entity certificate: file path, PEM text or bytes (PEM or DER). A PEM may also hold the chain and the key.
   * PKCS#11: a `pkcs11:` URI reads it from the token; omitted beside `pkcs11`, the token's certificate of the key is used.
   */
  certificate?: MaterialInput;
  /** Intermediate CA certificates, in any order: one bundle or a list. */
  certificateChain?: MaterialInput | MaterialInput[];
  /** The private key: file path, PEM text or bytes, or a `pkcs11:` URI (RFC 7512). Not needed when `certificate` holds it or `signer` is given. */
  privateKey?: MaterialInput;
  /** Passphrase of an encrypted PKCS#8 key. */
  passphrase?: string;
  /** A key held elsewhere (HSM); replaces `privateKey`. */
  signer?: Signer;
  /**
   * A key on a PKCS#11 token (HSM, smart card, TPM): `{ library, userPin, slotId?, tokenLabel?, privateKeyLabel? }`
   * or a `pkcs11:` URI. The token session is opened at the first refresh, kept across refreshes and closed
   * by {@link releaseIdentity}. The optional `pkcs11js` package is loaded only when this (or a `pkcs11:` URI) is used.
   */
  pkcs11?: Pkcs11Config | string;
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
  /** The key itself when it lives in this process (needed for mutual TLS). */
  privateKey?: KeyObject;
}

/**
 * Reads and checks everything before any network call: each failure gets its
 * own typed error that names the input. Called at every refresh so that files
 * renewed on disk are used.
 */
export async function loadIdentity(init: IdentityInit, now: Date): Promise<Identity> {
  // PKCS#11 (see ./pkcs11/): loaded on demand so that file-key users never load it or its native binding.
  const token = usesPkcs11(init) ? (await import("./sources/pkcs11/token-identity.js")).tokenIdentityFor(init) : undefined;
  if (!token?.readsCertificate && (init.certificate === undefined || init.certificate === null)) {
    throw new ConfigurationError("certificate", "certificate is required: pass a file path, PEM text or bytes.");
  }
  const certMaterial = token?.readsCertificate
    ? { bytes: await token.certificate(), label: "certificate on the PKCS#11 token" }
    : await readMaterial(init.certificate!, "certificate");
  const parsed = parseCertificates(certMaterial, "certificate");
  const [certificate, ...bundled] = parsed.certificates as [X509Certificate, ...X509Certificate[]];

  const intermediates = [...bundled];
  const chainInputs = init.certificateChain === undefined ? [] : Array.isArray(init.certificateChain) ? init.certificateChain : [init.certificateChain];
  for (const input of chainInputs) {
    intermediates.push(...parseCertificates(await readMaterial(input, "certificateChain"), "certificateChain").certificates);
  }

  let signer: Signer;
  let privateKey: KeyObject | undefined;
  let keyLabel: string;
  if (init.signer) {
    signer = init.signer;
    keyLabel = "signer";
    if (signer.publicKey) assertKeyMatchesCertificate(await signer.publicKey(), certificate, keyLabel);
  } else if (token) {
    const tokenSigner = await token.signerFor(certificate);
    signer = tokenSigner;
    keyLabel = tokenSigner.description;
    assertKeyMatchesCertificate(tokenSigner.publicKey(), certificate, keyLabel);
  } else {
    if (init.privateKey !== undefined) {
      const keyMaterial = await readMaterial(init.privateKey, "privateKey");
      privateKey = parsePrivateKey(keyMaterial, init.passphrase);
      keyLabel = keyMaterial.label;
    } else if (parsed.keyBlocks.length === 1) {
      keyLabel = `private key in ${certMaterial.label}`;
      privateKey = parsePemKeyBlock(parsed.keyBlocks[0]!, keyLabel, init.passphrase, "certificate");
    } else {
      throw new InputFormatError(
        "privateKey",
        `No private key: pass privateKey (file path, PEM text or bytes), a PEM certificate that also holds its key, or a signer (PKCS#11).`,
      );
    }
    assertSupportedKey(privateKey, keyLabel);
    assertKeyMatchesCertificate(privateKey, certificate, keyLabel);
    signer = new KeyObjectSigner(privateKey);
  }

  assertSupportedKey(publicKeyOf(certificate), `The certificate's public key`, "certificate");
  assertValidAt(certificate, now, "certificate");
  const chain = orderChain(certificate, intermediates, now);
  return {
    certificate,
    chain,
    certificateBase64: certificate.raw.toString("base64"),
    chainBase64: chain.map((c) => c.raw.toString("base64")).join(","),
    serialNumber: decimalSerial(certificate),
    signer,
    ...(privateKey ? { privateKey } : {}),
  };
}

/** Whether the init names a PKCS#11 key (`pkcs11`, or a `pkcs11:` URI as certificate or key). */
function usesPkcs11(init: IdentityInit): boolean {
  if (init.signer === undefined && init.pkcs11 === undefined && !isPkcs11Uri(init.privateKey) && !isPkcs11Uri(init.certificate)) return false;
  const fileKey = init.privateKey !== undefined && !isPkcs11Uri(init.privateKey);
  if (init.signer && (init.pkcs11 !== undefined || isPkcs11Uri(init.privateKey))) {
    throw new ConfigurationError("signer", "signer and a PKCS#11 key (pkcs11, or a pkcs11: URI as privateKey) both name the key: keep one.");
  }
  if (fileKey && (init.pkcs11 !== undefined || isPkcs11Uri(init.certificate))) {
    throw new ConfigurationError(
      "privateKey",
      "privateKey is a file or PEM while the key is configured on a PKCS#11 token (pkcs11, or a pkcs11: certificate URI): leave privateKey out, or make it a pkcs11: URI.",
    );
  }
  return !init.signer;
}

/**
 * Releases what {@link loadIdentity} keeps open for an init between
 * refreshes (the PKCS#11 session). Mechanisms call it from `close()`.
 */
export async function releaseIdentity(init: IdentityInit): Promise<void> {
  if (init.pkcs11 !== undefined || isPkcs11Uri(init.privateKey) || isPkcs11Uri(init.certificate)) {
    await (await import("./sources/pkcs11/token-identity.js")).releaseTokenIdentity(init);
  }
}
