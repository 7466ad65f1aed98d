import { ConfigurationError } from "../../../core/errors.js";

/** Object classes a `type=` attribute may name (RFC 7512 §2.3). */
export type Pkcs11ObjectType = "private" | "public" | "cert" | "secret-key" | "data";

/**
 * A parsed RFC 7512 PKCS#11 URI. Every value is percent-decoded; `id` stays
 * bytes because CKA_ID is binary.
 */
export interface Pkcs11Uri {
  /** Token label (CKT token `label`). */
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  libraryManufacturer?: string;
  libraryDescription?: string;
  libraryVersion?: string;
  slotDescription?: string;
  slotManufacturer?: string;
  /** `slot-id`: a decimal slot number. */
  slotId?: number;
  /** Object label (CKA_LABEL). */
  object?: string;
  /** Object id (CKA_ID), decoded bytes. */
  id?: Uint8Array;
  type?: Pkcs11ObjectType;
  /** `pin-value` query attribute. Never printed. */
  pinValue?: string;
  /** `pin-source` query attribute, e.g. `file:/run/secrets/pin`. */
  pinSource?: string;
  /** `module-path` query attribute: the PKCS#11 library file. */
  modulePath?: string;
  /** `module-name` query attribute: a library name without directory or suffix. */
  moduleName?: string;
}

const PATH_ATTRIBUTES: Record<string, keyof Pkcs11Uri> = {
  token: "token",
  manufacturer: "manufacturer",
  serial: "serial",
  model: "model",
  "library-manufacturer": "libraryManufacturer",
  "library-description": "libraryDescription",
  "library-version": "libraryVersion",
  "slot-description": "slotDescription",
  "slot-manufacturer": "slotManufacturer",
  "slot-id": "slotId",
  object: "object",
  id: "id",
  type: "type",
};

const QUERY_ATTRIBUTES: Record<string, keyof Pkcs11Uri> = {
  "pin-value": "pinValue",
  "pin-source": "pinSource",
  "module-path": "modulePath",
  "module-name": "moduleName",
};

const OBJECT_TYPES = new Set<string>(["private", "public", "cert", "secret-key", "data"]);

/** Whether a string is a PKCS#11 URI rather than a path or PEM text. */
export function isPkcs11Uri(value: unknown): value is string {
  return typeof value === "string" && /^pkcs11:/i.test(value.trim());
}

/**
 * Where a PIN written with an unescaped separator ends for sure: at the next
 * `;`, `&` or `?` that starts an attribute certcreds knows.
 */
function nextKnownAttribute(text: string, from: number): number {
  const pattern = /[;&?]\s*([A-Za-z-]+)\s*=/g;
  pattern.lastIndex = from;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const name = match[1]!.toLowerCase();
    if (Object.hasOwn(PATH_ATTRIBUTES, name) || Object.hasOwn(QUERY_ATTRIBUTES, name)) return match.index;
  }
  return text.length;
}

/**
 * The URI with every PIN replaced by `***`, safe for messages and logs.
 * Works on malformed URIs too, since it is used to report them: from any
 * "pin" (`pin-value=`, `PIN=`, a mistyped `pin-value1234`, but not
 * `pin-source=`) up to the next attribute certcreds knows is hidden — a PIN
 * holding an unescaped "&" or ";" is cut there by the grammar, not by the
 * user's intent — and so is anything after a `#`.
 */
export function redactPkcs11Uri(uri: string): string {
  const hashAt = uri.indexOf("#");
  const text = hashAt === -1 ? uri : uri.slice(0, hashAt);
  let out = "";
  let at = 0;
  for (const match of text.matchAll(/pin(?!-source=)/gi)) {
    if (match.index < at) continue;
    const kept = /^pin-value=/i.test(text.slice(match.index, match.index + 10)) ? 10 : 3;
    out += `${text.slice(at, match.index + kept)}***`;
    at = nextKnownAttribute(text, match.index + kept);
  }
  return `${out}${text.slice(at)}${hashAt === -1 ? "" : "#…"}`;
}

/** The path and query parts of a URI body (after `pkcs11:`). */
function splitBody(body: string): { path: string[]; query: string[] } {
  const queryAt = body.indexOf("?");
  const path = queryAt === -1 ? body : body.slice(0, queryAt);
  const query = queryAt === -1 ? "" : body.slice(queryAt + 1);
  return { path: path === "" ? [] : path.split(";"), query: query === "" ? [] : query.split("&") };
}

/**
 * Parses an RFC 7512 URI such as
 * `pkcs11:token=dev;object=key;id=%01;type=private?pin-value=1234&module-path=/usr/lib/softhsm/libsofthsm2.so`.
 * Attribute values are percent-decoded. A malformed URI throws a
 * {@link ConfigurationError} naming `option` and the attribute at fault,
 * never echoing the PIN.
 */
export function parsePkcs11Uri(uri: string, option = "pkcs11"): Pkcs11Uri {
  if (typeof uri !== "string" || !isPkcs11Uri(uri)) {
    throw new ConfigurationError(option, `${option} is not a PKCS#11 URI: it must start with "pkcs11:" (RFC 7512), e.g. pkcs11:token=my-token;object=my-key.`);
  }
  const text = uri.trim();
  const visible = redactPkcs11Uri(text);
  // Annotated so that TypeScript knows a call never returns.
  const fail: (why: string) => never = (why) => {
    throw new ConfigurationError(option, `${option} ${visible.length > 300 ? `${visible.slice(0, 300)}…` : visible} is not a valid PKCS#11 URI: ${why}`);
  };
  /** A name or value for the message: quoted when the redacted URI shows it anyway, else `hidden` (it may be part of the PIN). */
  const quote = (value: string, hidden: string): string =>
    value !== "" && visible.toLowerCase().includes(value.toLowerCase()) ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : hidden;
  const PIN_HINT = `(not shown: it may be part of the PIN — inside a PIN write "&" as %26, ";" as %3B, "?" as %3F, "#" as %23 and "%" as %25)`;
  const body = text.slice("pkcs11:".length);
  if (/#/.test(body)) fail(`"#" is not allowed. Percent-encode it as %23.`);
  const sections = splitBody(body);

  const result: Pkcs11Uri = {};
  const seen = new Set<string>();
  const parts: { name: string; raw: string; inQuery: boolean }[] = [];
  for (const [section, separator, inQuery] of [
    [sections.path, ";", false],
    [sections.query, "&", true],
  ] as const) {
    for (const part of section) {
      if (part === "") fail(`it has an empty attribute (two "${separator}" in a row, or a trailing "${separator}").`);
      const eq = part.indexOf("=");
      // A mistyped PIN attribute ("pin-value1234") must not be echoed.
      if (eq <= 0) fail(`${/pin/i.test(part) ? '"pin-value"' : quote(part, `an attribute ${PIN_HINT}`)} is not a name=value attribute.`);
      parts.push({ name: part.slice(0, eq).toLowerCase(), raw: part.slice(eq + 1), inQuery });
    }
  }

  for (const { name, raw, inQuery } of parts) {
    // Own properties only: "constructor" or "__proto__" is no attribute.
    const attribute = (table: Record<string, keyof Pkcs11Uri>) => (Object.hasOwn(table, name) ? table[name] : undefined);
    const known = attribute(inQuery ? QUERY_ATTRIBUTES : PATH_ATTRIBUTES);
    if (!known) {
      if (name.startsWith("x-")) continue; // vendor extensions are allowed and ignored
      const other = attribute(inQuery ? PATH_ATTRIBUTES : QUERY_ATTRIBUTES);
      fail(
        other
          ? `"${name}" belongs in the ${inQuery ? 'path (before "?", separated by ";")' : 'query (after "?", separated by "&")'}.`
          : `unknown attribute ${quote(name, PIN_HINT)}. Path attributes: ${Object.keys(PATH_ATTRIBUTES).join(", ")}; query attributes: ${Object.keys(QUERY_ATTRIBUTES).join(", ")}.`,
      );
    }
    if (seen.has(name)) fail(`attribute "${name}" appears twice.`);
    seen.add(name);
    const bytes = percentDecode(raw, () => fail(`the value of "${name}" has a malformed percent-encoding (use %XX with two hex digits).`));
    const secret = name === "pin-value";
    switch (known) {
      case "id":
        result.id = bytes;
        break;
      case "slotId": {
        const textValue = utf8(bytes, name, secret, fail);
        if (!/^\d+$/.test(textValue)) fail(`slot-id must be a decimal number, got ${quote(textValue, PIN_HINT)}.`);
        // A larger number would be rounded and could select another slot.
        if (!Number.isSafeInteger(Number(textValue)))
          fail(`slot-id ${quote(textValue, PIN_HINT)} is too large: slot numbers go up to ${Number.MAX_SAFE_INTEGER}.`);
        result.slotId = Number(textValue);
        break;
      }
      case "type": {
        const textValue = utf8(bytes, name, secret, fail);
        if (!OBJECT_TYPES.has(textValue)) fail(`type must be one of ${[...OBJECT_TYPES].join(", ")}, got ${quote(textValue, PIN_HINT)}.`);
        result.type = textValue as Pkcs11ObjectType;
        break;
      }
      case "moduleName": {
        const textValue = utf8(bytes, name, secret, fail);
        // RFC 7512: a library name that the consumer looks up, not a path.
        if (textValue === "" || /[/\\]/.test(textValue)) {
          fail(`module-name must be a library name without a directory, e.g. module-name=softhsm2: give a file with module-path=/path/to/module.so instead.`);
        }
        result.moduleName = textValue;
        break;
      }
      default:
        (result as Record<string, unknown>)[known] = utf8(bytes, name, secret, fail);
    }
  }
  if (result.pinValue !== undefined && result.pinSource !== undefined) {
    fail(`it has both pin-value and pin-source: keep one.`);
  }
  return result;
}

function percentDecode(raw: string, onError: () => never): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "%") {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) onError();
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(ch, "utf8"));
    }
  }
  return Uint8Array.from(out);
}

function utf8(bytes: Uint8Array, name: string, secret: boolean, fail: (why: string) => never): string {
  try {
    // ignoreBOM keeps a leading U+FEFF, which is part of the value (a label may start with one).
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // A PIN's bytes are not shown, only that it is not UTF-8.
    return fail(`the value of "${name}" is not UTF-8 text${secret ? "" : " once percent-decoded"}.`);
  }
}

/** Formats an id for messages and URIs: `%01%a2`. */
export function formatPkcs11Id(id: Uint8Array): string {
  return Array.from(id, (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

/** Percent-encodes a value for a URI path attribute (RFC 7512 pchar less ";"). */
export function encodePkcs11Value(value: string): string {
  return Array.from(Buffer.from(value, "utf8"), (b) => {
    const ch = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/.test(ch) && b < 0x80 ? ch : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}
