import { parseCertificates } from "../identity/certificate.js";
import { type Material, type MaterialInput, readMaterial } from "../identity/material.js";
import { looksLikePem } from "../identity/pem.js";

/**
 * The CA bundle an endpoint's certificate is checked against, read at every
 * fetch (a renewed file is picked up). PEM goes to TLS as it is; DER is
 * converted. Node's TLS ignores a malformed bundle silently, so
 * {@link explainTrustBundle} is called when the server check failed, instead
 * of parsing the bundle on every fetch.
 */
export async function readTrustBundle(input: MaterialInput | undefined, option: string): Promise<Material | undefined> {
  if (input === undefined) return undefined;
  const material = await readMaterial(input, option);
  if (looksLikePem(material.bytes)) return material;
  const pem = parseCertificates(material, option)
    .certificates.map((certificate) => certificate.toString())
    .join("");
  return { ...material, bytes: Buffer.from(pem) };
}

/** Throws the InputFormatError of a bundle that holds no usable certificate (after a failed server check). */
export function explainTrustBundle(bundle: Material | undefined, option: string): void {
  if (bundle) parseCertificates(bundle, option);
}
