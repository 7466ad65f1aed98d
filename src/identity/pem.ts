/** One block of a PEM file. */
export interface PemBlock {
  /** The label between `BEGIN` and the dashes, e.g. `CERTIFICATE`, `EC PRIVATE KEY`. */
  label: string;
  der: Buffer;
  /** The whole block as text (for keys with `Proc-Type` headers, which Node parses itself). */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

/** Whether bytes look like PEM text rather than DER. */
export function looksLikePem(bytes: Buffer): boolean {
  // DER starts with 0x30 (SEQUENCE); PEM is text that contains a BEGIN line.
  return bytes.length > 0 && bytes[0] !== 0x30 && bytes.includes("-----BEGIN");
}

/**
 * Splits PEM text into its blocks. Text between blocks (comments, `Bag
 * Attributes` from openssl) is ignored, as openssl does. Blocks whose body is
 * not base64 are returned with an empty `der` so the caller can name them.
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1]!;
    let body = match[2]!;
    // Encrypted traditional keys carry RFC 1421 headers before a blank line.
    if (body.includes(":")) body = body.slice(body.search(/\r?\n\r?\n/) + 1);
    const der = BASE64_BODY.test(body) ? Buffer.from(body.replace(/\s+/g, ""), "base64") : Buffer.alloc(0);
    blocks.push({ label, der, text: match[0] });
  }
  return blocks;
}
