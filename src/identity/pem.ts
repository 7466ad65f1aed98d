/** One block of a PEM file. */
export interface PemBlock {
  /** The label between `BEGIN` and the dashes, e.g. `CERTIFICATE`, `EC PRIVATE KEY`. */
  label: string;
  der: Buffer;
  /** The whole block as text (for keys with `Proc-Type` headers, which Node parses itself). */
  text: string;
}

const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

/** Whether bytes look like PEM text rather than DER. */
export function looksLikePem(bytes: Buffer): boolean {
  // DER starts with 0x30 (SEQUENCE); PEM is text that contains a BEGIN line.
  return bytes.length > 0 && bytes[0] !== 0x30 && bytes.includes("-----BEGIN");
}

/** The label of a marker and the end of its closing dashes; sticky, so each test reads from one position only. */
const LABEL = /([A-Z0-9 ]+)-----/y;

/** The `-----BEGIN LABEL-----` (or END) markers, in order: where each starts and ends, and its label. */
function markers(text: string, kind: "BEGIN" | "END"): { label: string; at: number; end: number }[] {
  const found: { label: string; at: number; end: number }[] = [];
  const head = `-----${kind} `;
  for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, at + 1)) {
    LABEL.lastIndex = at + head.length;
    const match = LABEL.exec(text);
    if (match) found.push({ label: match[1]!, at, end: LABEL.lastIndex });
  }
  return found;
}

/**
 * Splits PEM text into its blocks. Text between blocks (comments, `Bag
 * Attributes` from openssl) is ignored, as openssl does. Blocks whose body is
 * not base64 are returned with an empty `der` so the caller can name them.
 *
 * Linear in the length of the text: a BEGIN line without its END (hostile or
 * truncated input) is skipped without scanning the rest of the text again
 * for each one.
 */
export function parsePem(text: string): PemBlock[] {
  // For each label, the END markers in order, consumed from the front as the scan moves forward.
  const ends = new Map<string, { at: number; end: number }[]>();
  for (const marker of markers(text, "END")) {
    const list = ends.get(marker.label);
    if (list) list.push(marker);
    else ends.set(marker.label, [marker]);
  }
  const blocks: PemBlock[] = [];
  if (ends.size === 0) return blocks;
  const next = new Map<string, number>();
  let position = 0;
  for (const marker of markers(text, "BEGIN")) {
    if (marker.at < position) continue;
    const candidates = ends.get(marker.label);
    if (!candidates) continue;
    let index = next.get(marker.label) ?? 0;
    while (index < candidates.length && candidates[index]!.at < marker.end) index++;
    next.set(marker.label, index);
    const close = candidates[index];
    if (!close) continue;
    let body = text.slice(marker.end, close.at);
    // Encrypted traditional keys carry RFC 1421 headers before a blank line.
    if (body.includes(":")) body = body.slice(body.search(/\r?\n\r?\n/) + 1);
    const der = BASE64_BODY.test(body) ? Buffer.from(body.replace(/\s+/g, ""), "base64") : Buffer.alloc(0);
    blocks.push({ label: marker.label, der, text: text.slice(marker.at, close.end) });
    position = close.end;
  }
  return blocks;
}
