import { createPublicKey, type KeyObject } from "node:crypto";
import { type Attribute, CK, type Handle, KEY_TYPE_NAMES, type Pkcs11Module } from "./binding.js";
import type { ObjectSelector } from "./config.js";
import { formatPkcs11Id } from "./uri.js";

/** Handles of the objects of one class that match a selector. */
export function findObjects(module: Pkcs11Module, session: Handle, objectClass: number, selector: ObjectSelector): Handle[] {
  const template: Attribute[] = [{ type: CK.CKA_CLASS, value: objectClass }];
  if (selector.label !== undefined) template.push({ type: CK.CKA_LABEL, value: selector.label });
  if (selector.id !== undefined) template.push({ type: CK.CKA_ID, value: selector.id });
  module.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    for (;;) {
      const batch = module.C_FindObjects(session, 64);
      found.push(...batch);
      if (batch.length < 64) return found;
    }
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

/** One attribute's bytes, or undefined when the token does not have it or keeps it secret. */
export function readAttribute(module: Pkcs11Module, session: Handle, object: Handle, type: number): Buffer | undefined {
  try {
    const [attribute] = module.C_GetAttributeValue(session, object, [{ type }]);
    const value = attribute?.value;
    return Buffer.isBuffer(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function readNumber(bytes: Buffer | undefined): number | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  return bytes.length >= 8 ? Number(bytes.readBigUInt64LE(0)) : bytes.readUIntLE(0, Math.min(bytes.length, 6));
}

function readBoolean(bytes: Buffer | undefined): boolean | undefined {
  return bytes && bytes.length > 0 ? bytes[0] !== 0 : undefined;
}

/** What certcreds needs to know of a private key object. */
export interface KeyInfo {
  handle: Handle;
  label?: string;
  id?: Buffer;
  keyType: number;
  keyTypeName: string;
  alwaysAuthenticate: boolean;
  canSign: boolean;
  /** Its public key, when the token exposes it (on the key, a public key object or a certificate with the same id). */
  publicKey?: KeyObject;
  /** `"label" (id %01)`, for messages. */
  name: string;
}

/** Label and id of an object as `"label" (id %01)`. */
export function describeObject(label: string | undefined, id: Buffer | undefined): string {
  const parts = [label !== undefined && label !== "" ? `"${label}"` : "(no label)", id?.length ? `(id ${formatPkcs11Id(id)})` : "(no id)"];
  return parts.join(" ");
}

/** Reads a private key's attributes, and its public key where the token gives it. */
export function describeKey(module: Pkcs11Module, session: Handle, handle: Handle): KeyInfo {
  const label = readAttribute(module, session, handle, CK.CKA_LABEL)?.toString("utf8");
  const id = readAttribute(module, session, handle, CK.CKA_ID);
  const keyType = readNumber(readAttribute(module, session, handle, CK.CKA_KEY_TYPE)) ?? -1;
  const info: KeyInfo = {
    handle,
    ...(label !== undefined ? { label } : {}),
    ...(id !== undefined ? { id } : {}),
    keyType,
    keyTypeName: KEY_TYPE_NAMES[keyType] ?? `0x${keyType.toString(16)}`,
    alwaysAuthenticate: readBoolean(readAttribute(module, session, handle, CK.CKA_ALWAYS_AUTHENTICATE)) === true,
    canSign: readBoolean(readAttribute(module, session, handle, CK.CKA_SIGN)) !== false,
    name: describeObject(label, id),
  };
  const publicKey = publicKeyOf(module, session, info);
  if (publicKey) info.publicKey = publicKey;
  return info;
}

function publicKeyOf(module: Pkcs11Module, session: Handle, key: KeyInfo): KeyObject | undefined {
  const spki = readAttribute(module, session, key.handle, CK.CKA_PUBLIC_KEY_INFO);
  if (spki && spki.length > 0) {
    try {
      return createPublicKey({ key: spki, format: "der", type: "spki" });
    } catch {
      // Fall through to the per-type attributes.
    }
  }
  if (key.keyType === CK.CKK_RSA) {
    const n = readAttribute(module, session, key.handle, CK.CKA_MODULUS);
    const e = readAttribute(module, session, key.handle, CK.CKA_PUBLIC_EXPONENT);
    if (n && e) return createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
  }
  // EC private keys carry no point: take it from the public key object with the same id.
  if (key.id !== undefined && key.id.length > 0) {
    for (const handle of findObjects(module, session, CK.CKO_PUBLIC_KEY, { id: key.id })) {
      const publicKey = publicKeyObject(module, session, handle);
      if (publicKey) return publicKey;
    }
  }
  return undefined;
}

/** The public key of a CKO_PUBLIC_KEY object (RSA or EC). */
export function publicKeyObject(module: Pkcs11Module, session: Handle, handle: Handle): KeyObject | undefined {
  const spki = readAttribute(module, session, handle, CK.CKA_PUBLIC_KEY_INFO);
  try {
    if (spki && spki.length > 0) return createPublicKey({ key: spki, format: "der", type: "spki" });
    const keyType = readNumber(readAttribute(module, session, handle, CK.CKA_KEY_TYPE));
    if (keyType === CK.CKK_RSA) {
      const n = readAttribute(module, session, handle, CK.CKA_MODULUS);
      const e = readAttribute(module, session, handle, CK.CKA_PUBLIC_EXPONENT);
      if (n && e) return createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
    }
    if (keyType === CK.CKK_EC) {
      const params = readAttribute(module, session, handle, CK.CKA_EC_PARAMS);
      const point = readAttribute(module, session, handle, CK.CKA_EC_POINT);
      if (params && point) return createPublicKey({ key: ecSpki(params, unwrapOctetString(point)), format: "der", type: "spki" });
    }
  } catch {
    // A malformed attribute: treat the public key as unknown.
  }
  return undefined;
}

/** CKA_EC_POINT is a DER OCTET STRING per the standard; some tokens give the raw point. */
function unwrapOctetString(value: Buffer): Buffer {
  if (value[0] !== 0x04 || value.length < 2) return value;
  let length = value[1]!;
  let offset = 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = value.readUIntBE(2, bytes);
    offset = 2 + bytes;
  }
  return offset + length === value.length ? value.subarray(offset) : value;
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const EC_PUBLIC_KEY_OID = Buffer.from("06072a8648ce3d0201", "hex");

/** SubjectPublicKeyInfo of an EC key from its CKA_EC_PARAMS (curve OID) and point. */
function ecSpki(params: Buffer, point: Buffer): Buffer {
  const algorithm = der(0x30, Buffer.concat([EC_PUBLIC_KEY_OID, params]));
  const bitString = der(0x03, Buffer.concat([Buffer.from([0]), point]));
  return der(0x30, Buffer.concat([algorithm, bitString]));
}

/** A certificate object on the token. */
export interface CertificateObject {
  handle: Handle;
  label?: string;
  id?: Buffer;
  der: Buffer;
  name: string;
}

/** X.509 certificate objects matching a selector. */
export function findCertificates(module: Pkcs11Module, session: Handle, selector: ObjectSelector): CertificateObject[] {
  const found: CertificateObject[] = [];
  for (const handle of findObjects(module, session, CK.CKO_CERTIFICATE, selector)) {
    const type = readNumber(readAttribute(module, session, handle, CK.CKA_CERTIFICATE_TYPE));
    if (type !== undefined && type !== CK.CKC_X_509) continue;
    const value = readAttribute(module, session, handle, CK.CKA_VALUE);
    if (!value || value.length === 0) continue;
    const label = readAttribute(module, session, handle, CK.CKA_LABEL)?.toString("utf8");
    const id = readAttribute(module, session, handle, CK.CKA_ID);
    found.push({ handle, ...(label !== undefined ? { label } : {}), ...(id !== undefined ? { id } : {}), der: value, name: describeObject(label, id) });
  }
  return found;
}
