/**
 * TSS2 key files (`-----BEGIN TSS2 PRIVATE KEY-----`), the ASN.1 `TPMKey`
 * that tpm2-openssl, tpm2-tss-engine and AWS's `create_tpm2_key.sh` write:
 *
 *     TPMKey ::= SEQUENCE {
 *       type        OBJECT IDENTIFIER,          -- 2.23.133.10.1.3: a loadable key
 *       emptyAuth   [0] EXPLICIT BOOLEAN OPTIONAL,
 *       policy      [1] EXPLICIT SEQUENCE OF TPMPolicy OPTIONAL,
 *       secret      [2] EXPLICIT OCTET STRING OPTIONAL,
 *       authPolicy  [3] EXPLICIT SEQUENCE OF TPMAuthPolicy OPTIONAL,
 *       description [4] EXPLICIT UTF8String OPTIONAL,
 *       rsaParent   [5] EXPLICIT BOOLEAN OPTIONAL,
 *       parent      INTEGER,                    -- a hierarchy (0x40000001) or a persistent handle
 *       pubkey      OCTET STRING,               -- TPM2B_PUBLIC
 *       privkey     OCTET STRING }              -- TPM2B_PRIVATE, wrapped by the parent
 *
 * The input is untrusted: every length is checked, and anything that is not
 * this structure is a TpmError of kind `key-file` (or `algorithm` for a
 * well-formed key certcreds cannot use).
 */
import { children, type Tlv } from "../../der.js";
import { HIERARCHIES, hex, isPersistentHandle } from "./constants.js";
import { TpmError } from "./errors.js";
import { MarshalError, type PublicArea, parsePublicArea } from "./public-area.js";

/** The PEM label of a TSS2 key file. */
export const TSS2_LABEL = "TSS2 PRIVATE KEY";

/** A loadable key, read from its file. */
export interface Tss2Key {
  /** Whether the file says the key has no password. */
  emptyAuth: boolean;
  /** The parent: a hierarchy handle or a persistent handle. */
  parent: number;
  /** TPM2B_PUBLIC, with its size. */
  publicBytes: Buffer;
  /** TPM2B_PRIVATE, with its size. */
  privateBytes: Buffer;
  public: PublicArea;
}

/** 2.23.133.10.1, then one arc for the kind. */
const OID_PREFIX = "6781050a01";
const KINDS: Record<string, string> = { "03": "loadable", "04": "importable", "05": "sealed" };
/** Large enough for any TPM2B_PUBLIC or TPM2B_PRIVATE a TPM makes. */
const MAX_BLOB = 4096;

type Element = Pick<Tlv, "tag" | "value">;

/** DER elements of `bytes`, in order (the identity layer's bounded reader); throws MarshalError on any length that does not fit. */
function elements(bytes: Buffer): Element[] {
  try {
    return children(bytes);
  } catch (error) {
    throw new MarshalError(`malformed DER: ${(error as Error).message}`);
  }
}

function single(bytes: Buffer, tag: number, name: string): Buffer {
  const [element, ...rest] = elements(bytes);
  if (!element || element.tag !== tag || rest.length > 0) throw new MarshalError(`${name} is not a single element of tag 0x${tag.toString(16)}`);
  return element.value;
}

function boolean(value: Buffer, name: string): boolean {
  const inner = single(value, 0x01, name);
  // DER says 0xFF for TRUE; tpm2-tss-engine has written 0x01. Both are TRUE.
  if (inner.length !== 1) throw new MarshalError(`${name} is not a BOOLEAN`);
  return inner[0] !== 0;
}

/** A handle from a DER INTEGER: up to 32 bits, written with or without the sign byte. */
function handleValue(value: Buffer): number {
  if (value.length === 0 || value.length > 5 || (value.length === 5 && value[0] !== 0)) throw new MarshalError("parent is not a 32-bit handle");
  let handle = 0;
  for (const byte of value) handle = handle * 256 + byte;
  return handle >>> 0;
}

/** A TPM2B as the file holds it: the 16-bit size must cover the rest exactly. */
function sizedBlob(value: Buffer, name: string): Buffer {
  if (value.length < 2 || value.length > MAX_BLOB + 2 || value.readUInt16BE(0) !== value.length - 2 || value.length === 2) {
    throw new MarshalError(`${name} is not a TPM2B of its own length`);
  }
  return value;
}

/** Parses the DER of a TSS2 key file. `label` names the input in messages (`privateKey file /etc/key.pem`). */
export function parseTss2Key(der: Buffer, label: string, option = "privateKey"): Tss2Key {
  const broken = (why: string) =>
    new TpmError(
      "key-file",
      option,
      `${label} is not a readable TSS2 key (${why}): write it again with tpm2-openssl (\`openssl genpkey -provider tpm2\`) or tpm2-tss-engine.`,
    );
  let fields: Element[];
  try {
    fields = elements(single(der, 0x30, "TPMKey"));
  } catch (cause) {
    throw broken(cause instanceof MarshalError ? cause.message : "not DER");
  }
  let index = 0;
  const next = () => fields[index];
  const type = next();
  if (type?.tag !== 0x06) throw broken("no key type");
  index++;
  const oid = type.value.toString("hex");
  const kind = oid.startsWith(OID_PREFIX) && oid.length === OID_PREFIX.length + 2 ? KINDS[oid.slice(-2)] : undefined;
  if (kind === "importable") {
    throw new TpmError(
      "algorithm",
      option,
      `${label} is an importable TSS2 key: import it first (tpm2_import, or tpm2-openssl) and pass the loadable key it gives.`,
    );
  }
  if (kind === "sealed") throw new TpmError("algorithm", option, `${label} holds sealed data, not a signing key: pass a TSS2 key file of a signing key.`);
  if (kind !== "loadable") throw broken("its type is not 2.23.133.10.1.3, a loadable key");
  let emptyAuth = false;
  let rsaParent = false;
  try {
    // The optional fields come in tag order, each at most once.
    let lastTag = -1;
    for (let field = next(); field && (field.tag & 0xe0) === 0xa0; field = next()) {
      const tagNumber = field.tag & 0x1f;
      if (tagNumber <= lastTag || tagNumber > 5) throw new MarshalError(`unexpected field [${tagNumber}]`);
      lastTag = tagNumber;
      index++;
      if (tagNumber === 0) emptyAuth = boolean(field.value, "emptyAuth");
      else if (tagNumber === 5) rsaParent = boolean(field.value, "rsaParent");
      else if (tagNumber === 1 || tagNumber === 3) {
        throw new TpmError(
          "algorithm",
          option,
          `${label} needs a TPM policy to be used (its ${tagNumber === 1 ? "policy" : "authPolicy"} field), which certcreds does not support: create the key without a policy.`,
        );
      } else if (tagNumber === 2) throw broken("a loadable key with a secret field");
      else single(field.value, 0x0c, "description");
    }
  } catch (cause) {
    if (cause instanceof TpmError) throw cause;
    throw broken((cause as Error).message);
  }
  const [parentField, publicField, privateField, ...extra] = fields.slice(index);
  if (parentField?.tag !== 0x02 || publicField?.tag !== 0x04 || privateField?.tag !== 0x04 || extra.length > 0) {
    throw broken("parent, pubkey and privkey are not INTEGER, OCTET STRING, OCTET STRING at its end");
  }
  let parent: number;
  let publicBytes: Buffer;
  let privateBytes: Buffer;
  let area: PublicArea;
  try {
    parent = handleValue(parentField.value);
    publicBytes = sizedBlob(publicField.value, "pubkey");
    privateBytes = sizedBlob(privateField.value, "privkey");
    area = parsePublicArea(publicBytes.subarray(2), "pubkey");
  } catch (cause) {
    throw broken((cause as Error).message);
  }
  if (!isPersistentHandle(parent) && HIERARCHIES[parent] === undefined) {
    throw new TpmError(
      "parent",
      option,
      `${label} names the parent ${hex(parent)}, which is neither a hierarchy (0x40000001 owner) nor a persistent handle (0x81…): create the key under one of them.`,
    );
  }
  if (rsaParent && !isPersistentHandle(parent)) {
    throw new TpmError(
      "parent",
      option,
      `${label} was made under an RSA storage primary, which certcreds does not re-create: make that primary persistent (tpm2_evictcontrol) and create the key under its handle.`,
    );
  }
  return { emptyAuth, parent, publicBytes, privateBytes, public: area };
}
