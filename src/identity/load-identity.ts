import type { KeyObject, X509Certificate } from "node:crypto";
import { ConfigurationError, InputFormatError } from "../errors.js";
import { assertValidAt, decimalSerial, orderChain, parseCertificates } from "./certificate.js";
import { type MaterialInput, readMaterial } from "./material.js";
import { assertKeyMatchesCertificate, assertSupportedKey, parsePemKeyBlock, parsePrivateKey } from "./private-key.js";
import { KeyObjectSigner, type Signer } from "./signer.js";

/** Where the certificate, its chain and its key come from. Shared by every mechanism. */
export interface IdentityInit {
  /** The end-entity certificate: file path, PEM text or bytes (PEM or DER). A PEM may also hold the chain and the key. */
  certificate: MaterialInput;
  /** Intermediate CA certificates, in any order: one bundle or a list. */
  certificateChain?: MaterialInput | MaterialInput[];
  /** The private key: file path, PEM text or bytes. Not needed when `certificate` holds it or `signer` is given. */
  privateKey?: MaterialInput;
  /** Passphrase of an encrypted PKCS#8 key. */
  passphrase?: string;
  /** A key held elsewhere (HSM); replaces `privateKey`. */
  signer?: Signer;
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
  if (init.certificate === undefined || init.certificate === null) {
    throw new ConfigurationError("certificate", "certificate is required: pass a file path, PEM text or bytes.");
  }
  const certMaterial = await readMaterial(init.certificate, "certificate");
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

  assertSupportedKey(certificate.publicKey, `The certificate's public key`, "certificate");
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
