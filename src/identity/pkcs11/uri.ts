import { ConfigurationError } from "../../errors.js";

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
 * The URI with its `pin-value` replaced by `***`, safe for messages and
 * logs. Works on malformed URIs too, since it is used to report them.
 */
export function redactPkcs11Uri(uri: string): string {
  return uri.replace(/([?&;]pin-value)(?:=[^&]*|[^&=]*)/gi, "$1=***");
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
  const shown = redactPkcs11Uri(text);
  // Annotated so that TypeScript knows a call never returns.
  const fail: (why: string) => never = (why) => {
    throw new ConfigurationError(option, `${option} ${shown} is not a valid PKCS#11 URI: ${why}`);
  };
  const body = text.slice("pkcs11:".length);
  const queryAt = body.indexOf("?");
  const path = queryAt === -1 ? body : body.slice(0, queryAt);
  const query = queryAt === -1 ? "" : body.slice(queryAt + 1);
  if (/#/.test(body)) fail(`"#" is not allowed. Percent-encode it as %23.`);

  const result: Pkcs11Uri = {};
  const seen = new Set<string>();
  const parts: { name: string; raw: string; inQuery: boolean }[] = [];
  for (const [section, separator, inQuery] of [
    [path, ";", false],
    [query, "&", true],
  ] as const) {
    if (section === "") continue;
    for (const part of section.split(separator)) {
      if (part === "") fail(`it has an empty attribute (two "${separator}" in a row, or a trailing "${separator}").`);
      const eq = part.indexOf("=");
      // A mistyped PIN attribute ("pin-value1234") must not be echoed.
      if (eq <= 0) fail(`"${/^pin/i.test(part) ? "pin-value" : part}" is not a name=value attribute.`);
      parts.push({ name: part.slice(0, eq).toLowerCase(), raw: part.slice(eq + 1), inQuery });
    }
  }

  for (const { name, raw, inQuery } of parts) {
    const known = inQuery ? QUERY_ATTRIBUTES[name] : PATH_ATTRIBUTES[name];
    if (!known) {
      if (name.startsWith("x-")) continue; // vendor extensions are allowed and ignored
      const other = inQuery ? PATH_ATTRIBUTES[name] : QUERY_ATTRIBUTES[name];
      fail(
        other
          ? `"${name}" belongs in the ${inQuery ? "path (before \"?\", separated by \";\")" : "query (after \"?\", separated by \"&\")"}.`
          : `unknown attribute "${name}". Path attributes: ${Object.keys(PATH_ATTRIBUTES).join(", ")}; query attributes: ${Object.keys(QUERY_ATTRIBUTES).join(", ")}.`,
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
        if (!/^\d+$/.test(textValue)) fail(`slot-id must be a decimal number, got "${textValue}".`);
        result.slotId = Number(textValue);
        break;
      }
      case "type": {
        const textValue = utf8(bytes, name, secret, fail);
        if (!OBJECT_TYPES.has(textValue)) fail(`type must be one of ${[...OBJECT_TYPES].join(", ")}, got "${textValue}".`);
        result.type = textValue as Pkcs11ObjectType;
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
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
