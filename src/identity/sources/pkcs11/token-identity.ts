import { X509Certificate } from "node:crypto";
import type { Logger } from "../../../core/logger.js";
import { type Pkcs11Config, type Pkcs11Spec, resolvePkcs11Spec } from "./config.js";
import { resolveCertificate } from "./key-lookup.js";
import type { CertificateObject } from "./objects.js";
import { openPkcs11Signer, type Pkcs11Signer } from "./signer.js";
import { TokenSession } from "./token-session.js";

/**
 * A certificate and key on (or partly on) a PKCS#11 token: one session,
 * kept for the life of the credential source, that reads the certificate
 * at each refresh (renewals on the token are picked up) and signs.
 */
export class TokenIdentity {
  readonly spec: Pkcs11Spec;
  private readonly session: TokenSession;
  private certificateObject: CertificateObject | undefined;
  private signer: { fingerprint: string; signer: Promise<Pkcs11Signer> } | undefined;

  constructor(spec: Pkcs11Spec, logger?: Logger, ownsSession = false) {
    this.spec = spec;
    this.session = new TokenSession(spec, logger);
    this.ownsSignerSession = ownsSession;
  }

  private readonly ownsSignerSession: boolean;

  /** Whether the certificate comes from the token (a `pkcs11:` URI, or omitted beside `pkcs11`). */
  get readsCertificate(): boolean {
    return this.spec.certificate !== undefined;
  }

  /** The certificate's DER, read from the token now. */
  async certificate(): Promise<Buffer> {
    const found = await this.session.run((context) => resolveCertificate(context, this.spec));
    this.certificateObject = found;
    return found.der;
  }

  /**
   * A signer on the key that belongs to `certificate`, found once and kept
   * while the certificate stays the same (a renewed certificate may come
   * with a new key on the token).
   */
  signerFor(certificate: X509Certificate | undefined): Promise<Pkcs11Signer> {
    const fingerprint = certificate?.fingerprint256 ?? "";
    if (this.signer?.fingerprint !== fingerprint) {
      const certificateObject = certificate && this.certificateObject?.der.equals(certificate.raw) ? this.certificateObject : undefined;
      const signer = openPkcs11Signer(this.session, this.spec, certificate, certificateObject, this.ownsSignerSession);
      this.signer = { fingerprint, signer };
      signer.catch(() => {
        if (this.signer?.signer === signer) this.signer = undefined;
      });
    }
    return this.signer.signer;
  }

  /** Closes the session. */
  close(): Promise<void> {
    this.signer = undefined;
    return this.session.close();
  }
}

/** A key (and maybe a certificate) on a token, for use outside the credential sessions. */
export interface Pkcs11KeySource {
  /** The signer; `close()` ends the token session. */
  signer: Pkcs11Signer;
  /** The certificate read from the token (DER), when the token holds it. */
  certificate(): Promise<Buffer>;
  /** Ends the token session. */
  close(): Promise<void>;
}

/**
 * Opens a key on a PKCS#11 token: `fromPkcs11({ library, userPin, tokenLabel, privateKeyLabel })`
 * or `fromPkcs11("pkcs11:token=dev;object=key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234")`.
 * The signer fits `IdentityInit.signer`; give `certificate` (PEM/DER/X509Certificate) to pick the
 * key that matches it when the lookup finds several.
 */
export async function fromPkcs11(
  key: Pkcs11Config | string,
  options: { certificate?: X509Certificate | string | Uint8Array; logger?: Logger } = {},
): Promise<Pkcs11KeySource> {
  const identity = new TokenIdentity(resolvePkcs11Spec({ pkcs11: key }), options.logger, true);
  try {
    const certificate =
      options.certificate instanceof X509Certificate
        ? options.certificate
        : options.certificate !== undefined
          ? new X509Certificate(options.certificate)
          : undefined;
    const signer = await identity.signerFor(certificate);
    return { signer, certificate: () => identity.certificate(), close: () => identity.close() };
  } catch (error) {
    await identity.close();
    throw error;
  }
}
