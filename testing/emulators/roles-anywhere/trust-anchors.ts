/**
 * The certification path of a signing certificate: the X-Amz-X509-Chain
 * intermediates and the trust anchors the certificate chains to.
 *
 * @module
 */

import type { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { buildCertificationPath, certificateFromBase64, validityError } from "../certificate-path.js";
import { headerValue } from "../emulator-server.js";
import { accessDenied } from "./service-error.js";
import type { ServiceState, TrustAnchorState } from "./service-state.js";

const MAX_CHAIN_CERTIFICATES = 8;
export const UNTRUSTED = "Untrusted signing certificate";

/** Parses X-Amz-X509-Chain: comma-separated standard-base64 DER certificates, no spaces. */
export function parseChain(req: IncomingMessage): X509Certificate[] {
  const header = headerValue(req, "x-amz-x509-chain");
  if (header === undefined) return [];
  const certificates = header.split(",").map(certificateFromBase64);
  if (certificates.length > MAX_CHAIN_CERTIFICATES) throw accessDenied(`${UNTRUSTED}: X-Amz-X509-Chain is too long`);
  const valid = certificates.filter((cert): cert is X509Certificate => cert !== undefined);
  if (valid.length !== certificates.length) {
    throw accessDenied("X-Amz-X509-Chain must be comma-separated standard-base64 DER certificates without spaces");
  }
  return valid;
}

/**
 * Step 5: the trust anchors the leaf chains to, with every certificate of the
 * path inside its validity period. Fails when there is none.
 */
export function anchoringTrustAnchors(leaf: X509Certificate, intermediates: X509Certificate[], state: ServiceState): Set<TrustAnchorState> {
  if (leaf.ca) throw accessDenied(`${UNTRUSTED}: the end-entity certificate is a CA certificate`);
  const nowMs = state.now();
  const anchoring = new Set<TrustAnchorState>();
  let outOfValidity: string | undefined;
  for (const anchor of state.trustAnchors) {
    const path = buildCertificationPath(leaf, intermediates, anchor.certificates);
    if (!path) continue;
    const invalid = path.map((cert) => validityError(cert, nowMs)).find((error) => error !== undefined);
    if (invalid) outOfValidity ??= invalid;
    else anchoring.add(anchor);
  }
  if (anchoring.size === 0) {
    throw accessDenied(outOfValidity ?? `${UNTRUSTED}: no path from the X-Amz-X509 certificate through X-Amz-X509-Chain to a trust anchor`);
  }
  return anchoring;
}
