import { ConfigurationError } from "../../../core/errors.js";
import { showValue } from "../../../core/show-value.js";
import type { MaterialInput } from "../../material.js";
import { Pkcs11Error } from "./errors.js";
import { defaultPkcs11Library, moduleByName } from "./module-path.js";
import { SecretText } from "./pin.js";
import { isPkcs11Uri, type Pkcs11Uri, parsePkcs11Uri } from "./uri.js";

/**
 * A key on a PKCS#11 token, in the Python IoT helper's shape
 * (`Pkcs11Config(pkcs11_lib, user_pin, slot_id, token_label, private_key_label)`).
 * Everything but `library` is optional: with one initialised token holding
 * one private key, `{ library }` is enough.
 */
export interface Pkcs11Config {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`. Default: p11-kit-proxy where installed. */
  library?: string;
  /**
   * The user PIN. When absent: the URI's `pin-value`/`pin-source`, then the
   * `CERTCREDS_PKCS11_PIN` environment variable, then a prompt when stdin is
   * a terminal. Never logged.
   */
  userPin?: string;
  /** Slot number (as `pkcs11-tool -L` shows it). */
  slotId?: number;
  /** Token label. */
  tokenLabel?: string;
  /** Token serial number. */
  tokenSerial?: string;
  /** CKA_LABEL of the private key. */
  privateKeyLabel?: string;
  /** CKA_ID of the private key: bytes, or hex text (`"01"`, `"a1:b2"`). */
  privateKeyId?: string | Uint8Array;
  /** CKA_LABEL of the certificate, when the certificate is read from the token. */
  certificateLabel?: string;
  /** CKA_ID of the certificate, when the certificate is read from the token. */
  certificateId?: string | Uint8Array;
  /**
   * For keys with CKA_ALWAYS_AUTHENTICATE: log in for each signature with
   * the user PIN (the `--reuse-pin` of AWS's helper). Without it the PIN is
   * asked on the terminal at each signature, and signing fails without one.
   */
  reusePin?: boolean;
}

/** Which token to use. Empty means: the only initialised token. */
export interface TokenSelector {
  slotId?: number;
  label?: string;
  serial?: string;
  manufacturer?: string;
  model?: string;
}

/** Which object to use, by label and/or id. */
export interface ObjectSelector {
  label?: string;
  id?: Buffer;
}

/** Where the PIN may come from, besides the environment and a prompt. */
export interface PinInput {
  value?: SecretText;
  /** RFC 7512 `pin-source`: `file:/path` or a path. */
  source?: string;
  /** Option the PIN came from, for messages. */
  option: string;
}

/** A token key with every input resolved: what the session needs. */
export interface Pkcs11Spec {
  library: string;
  /** The option that named the library (for messages). */
  libraryOption: string;
  token: TokenSelector;
  tokenOption: string;
  key: ObjectSelector;
  keyOption: string;
  /** Set when the certificate is read from the token. */
  certificate?: ObjectSelector & { explicit: boolean };
  certificateOption: string;
  pin: PinInput;
  reusePin: boolean;
  /** The options given as `pkcs11:` URIs (hints then say which URI attribute to add). */
  uriOptions: string[];
}

function idFromConfig(value: string | Uint8Array, option: string): Buffer {
  if (typeof value !== "string") return Buffer.from(value);
  const hex = value.replace(/[:\s]/g, "").replace(/^0x/i, "");
  if (value.includes("%")) {
    const decoded = parsePkcs11Uri(`pkcs11:id=${value}`, option).id;
    return Buffer.from(decoded ?? []);
  }
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) {
    throw new ConfigurationError(option, `${option} "${value}" is not an object id: give hex bytes such as "01" or "a1:b2", or a Uint8Array.`);
  }
  return Buffer.from(hex, "hex");
}

/** Config fields that hold text, and those that hold an object id. */
const TEXT_FIELDS = ["library", "tokenLabel", "tokenSerial", "privateKeyLabel", "certificateLabel"] as const;
const ID_FIELDS = ["privateKeyId", "certificateId"] as const;

/** Checks the types of a JavaScript caller's config object, which TypeScript cannot vouch for. */
function checkConfigTypes(config: Pkcs11Config): void {
  for (const field of TEXT_FIELDS) {
    const value: unknown = config[field];
    if (value !== undefined && typeof value !== "string")
      throw new ConfigurationError(`pkcs11.${field}`, `pkcs11.${field} must be a string, got ${showValue(value)}.`);
  }
  for (const field of ID_FIELDS) {
    const value: unknown = config[field];
    if (value !== undefined && typeof value !== "string" && !(value instanceof Uint8Array)) {
      throw new ConfigurationError(`pkcs11.${field}`, `pkcs11.${field} must be hex text such as "01" or "a1:b2", or a Uint8Array, got ${showValue(value)}.`);
    }
  }
  const pin: unknown = config.userPin;
  // The PIN's value is never shown, only its type.
  if (pin !== undefined && typeof pin !== "string" && typeof pin !== "number")
    throw new ConfigurationError("pkcs11.userPin", `pkcs11.userPin must be a string, got a value of type ${pin === null ? "null" : typeof pin}.`);
  if (config.reusePin !== undefined && typeof config.reusePin !== "boolean")
    throw new ConfigurationError("pkcs11.reusePin", `pkcs11.reusePin must be true or false, got ${showValue(config.reusePin)}.`);
}

function tokenFromUri(uri: Pkcs11Uri): TokenSelector {
  return {
    ...(uri.slotId !== undefined ? { slotId: uri.slotId } : {}),
    ...(uri.token !== undefined ? { label: uri.token } : {}),
    ...(uri.serial !== undefined ? { serial: uri.serial } : {}),
    ...(uri.manufacturer !== undefined ? { manufacturer: uri.manufacturer } : {}),
    ...(uri.model !== undefined ? { model: uri.model } : {}),
  };
}

function objectFromUri(uri: Pkcs11Uri): ObjectSelector {
  return { ...(uri.object !== undefined ? { label: uri.object } : {}), ...(uri.id !== undefined ? { id: Buffer.from(uri.id) } : {}) };
}

function isEmpty(selector: object): boolean {
  return Object.keys(selector).length === 0;
}

/** The IdentityInit fields that can name a token key. */
export interface Pkcs11Inputs {
  pkcs11?: Pkcs11Config | string;
  certificate?: MaterialInput;
  privateKey?: MaterialInput;
}

/**
 * Resolves the three ways to name a token key into one {@link Pkcs11Spec}:
 * the `pkcs11` option (config object or URI), a `pkcs11:` URI as
 * `privateKey`, and a `pkcs11:` URI as `certificate` (or a certificate
 * omitted beside `pkcs11`: read from the token). Later, more specific
 * inputs win: the `privateKey` URI over `pkcs11` for the key. Touches no
 * token and loads no binding.
 */
export function resolvePkcs11Spec(inputs: Pkcs11Inputs): Pkcs11Spec {
  const { pkcs11 } = inputs;
  const keyUri = isPkcs11Uri(inputs.privateKey) ? parsePkcs11Uri(inputs.privateKey, "privateKey") : undefined;
  const certUri = isPkcs11Uri(inputs.certificate) ? parsePkcs11Uri(inputs.certificate, "certificate") : undefined;
  if (pkcs11 !== undefined && typeof pkcs11 !== "string" && (typeof pkcs11 !== "object" || pkcs11 === null)) {
    throw new ConfigurationError("pkcs11", "pkcs11 must be an object { library, userPin?, slotId?, tokenLabel?, privateKeyLabel? } or a pkcs11: URI.");
  }
  const baseUri = typeof pkcs11 === "string" ? parsePkcs11Uri(pkcs11, "pkcs11") : undefined;
  const config: Pkcs11Config = typeof pkcs11 === "object" && pkcs11 !== null ? pkcs11 : {};
  checkConfigTypes(config);
  if (config.slotId !== undefined && (!Number.isInteger(config.slotId) || config.slotId < 0)) {
    throw new ConfigurationError("pkcs11.slotId", `pkcs11.slotId must be a slot number (a non-negative integer), got ${String(config.slotId)}.`);
  }
  if (keyUri?.type !== undefined && keyUri.type !== "private") {
    throw new ConfigurationError("privateKey", `privateKey is a PKCS#11 URI with type=${keyUri.type}: it must name a private key (type=private, or no type).`);
  }
  if (certUri?.type !== undefined && certUri.type !== "cert") {
    throw new ConfigurationError("certificate", `certificate is a PKCS#11 URI with type=${certUri.type}: it must name a certificate (type=cert, or no type).`);
  }

  // The token: the most specific input that names one.
  const configToken: TokenSelector = {
    ...(config.slotId !== undefined ? { slotId: config.slotId } : {}),
    ...(config.tokenLabel !== undefined ? { label: config.tokenLabel } : {}),
    ...(config.tokenSerial !== undefined ? { serial: config.tokenSerial } : {}),
  };
  const tokenCandidates: [TokenSelector, string][] = [
    [keyUri ? tokenFromUri(keyUri) : {}, "privateKey"],
    [baseUri ? tokenFromUri(baseUri) : configToken, "pkcs11"],
    [certUri ? tokenFromUri(certUri) : {}, "certificate"],
  ];
  const [token, tokenOption] = tokenCandidates.find(([selector]) => !isEmpty(selector)) ?? [{}, keyUri ? "privateKey" : "pkcs11"];

  // The key: privateKey URI, else the pkcs11 option, else the certificate URI's object (AWS's helper does the same).
  const configKey: ObjectSelector = {
    ...(config.privateKeyLabel !== undefined ? { label: config.privateKeyLabel } : {}),
    ...(config.privateKeyId !== undefined ? { id: idFromConfig(config.privateKeyId, "pkcs11.privateKeyId") } : {}),
  };
  const keyCandidates: [ObjectSelector, string][] = [
    [keyUri ? objectFromUri(keyUri) : {}, "privateKey"],
    [baseUri ? objectFromUri(baseUri) : configKey, "pkcs11"],
    [certUri ? objectFromUri(certUri) : {}, "certificate"],
  ];
  const [key, keyOption] = keyCandidates.find(([selector]) => !isEmpty(selector)) ?? [{}, keyUri ? "privateKey" : "pkcs11"];

  // The certificate: from the token when it is a pkcs11: URI, or omitted beside a pkcs11 option.
  let certificate: Pkcs11Spec["certificate"];
  const certificateOmitted = inputs.certificate === undefined || inputs.certificate === null;
  if (certUri) {
    certificate = { ...objectFromUri(certUri), explicit: !isEmpty(objectFromUri(certUri)) };
  } else if (certificateOmitted) {
    const configCert: ObjectSelector = {
      ...(config.certificateLabel !== undefined ? { label: config.certificateLabel } : {}),
      ...(config.certificateId !== undefined ? { id: idFromConfig(config.certificateId, "pkcs11.certificateId") } : {}),
    };
    certificate = { ...configCert, explicit: !isEmpty(configCert) };
  }

  // The library: named by a URI's module-path/module-name or by the pkcs11 option, else p11-kit-proxy.
  let library: string | undefined;
  let libraryOption = "pkcs11.library";
  for (const [uri, option] of [
    [keyUri, "privateKey"],
    [baseUri, "pkcs11"],
    [certUri, "certificate"],
  ] as const) {
    if (library !== undefined || !uri) continue;
    if (uri.modulePath !== undefined) [library, libraryOption] = [uri.modulePath, `module-path in ${option}`];
    else if (uri.moduleName !== undefined) [library, libraryOption] = [moduleByName(uri.moduleName, option), `module-name in ${option}`];
  }
  if (config.library !== undefined && library === undefined) [library, libraryOption] = [config.library, "pkcs11.library"];
  if (library === undefined) {
    library = defaultPkcs11Library();
    libraryOption = "pkcs11.library (default p11-kit-proxy)";
  }
  if (library === undefined || library.trim() === "") {
    throw new Pkcs11Error(
      "library",
      "pkcs11.library",
      "No PKCS#11 library given and p11-kit-proxy is not installed: pass pkcs11.library (CLI: --pkcs11-lib), or module-path=/path/to/module.so in the URI.",
    );
  }

  // The PIN: the option, else a URI's pin-value or pin-source; the environment and a prompt come later.
  let pin: PinInput = { option: "pkcs11.userPin" };
  if (config.userPin !== undefined) pin = { value: new SecretText(String(config.userPin)), option: "pkcs11.userPin" };
  else {
    for (const [uri, option] of [
      [keyUri, "privateKey"],
      [baseUri, "pkcs11"],
      [certUri, "certificate"],
    ] as const) {
      if (!uri) continue;
      if (uri.pinValue !== undefined) pin = { value: new SecretText(uri.pinValue), option: `pin-value in ${option}` };
      else if (uri.pinSource !== undefined) pin = { source: uri.pinSource, option: `pin-source in ${option}` };
      else continue;
      break;
    }
  }

  return {
    library,
    libraryOption,
    token,
    tokenOption,
    key,
    keyOption,
    ...(certificate ? { certificate } : {}),
    certificateOption: certUri ? "certificate" : "pkcs11.certificateLabel",
    pin,
    reusePin: config.reusePin === true,
    uriOptions: [keyUri ? "privateKey" : "", baseUri ? "pkcs11" : "", certUri ? "certificate" : ""].filter(Boolean),
  };
}
