import { createHash } from "node:crypto";
import { CK } from "./binding.js";
import { ecdsaRawToDer } from "./ecdsa-der.js";
import { Pkcs11Error, returnValueOf } from "./errors.js";
import type { KeyInfo } from "./objects.js";
import type { SessionContext, TokenSession } from "./token-session.js";

/** DER prefix of a SHA-256 DigestInfo, for tokens that only offer raw CKM_RSA_PKCS. */
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/** Signature buffer sizes: RSA up to 8192 bits, ECDSA up to P-521 (2 × 66 bytes). */
const RSA_SIGNATURE_BYTES = 1024;
const ECDSA_SIGNATURE_BYTES = 160;

const MECHANISM_NAMES: Record<number, string> = {
  [CK.CKM_SHA256_RSA_PKCS]: "CKM_SHA256_RSA_PKCS",
  [CK.CKM_RSA_PKCS]: "CKM_RSA_PKCS",
  [CK.CKM_ECDSA]: "CKM_ECDSA",
  [CK.CKM_ECDSA_SHA256]: "CKM_ECDSA_SHA256",
};

interface Plan {
  mechanism: number;
  input: Buffer;
  outputBytes: number;
  rawEcdsa: boolean;
}

/**
 * How to get a SigV4-X509 signature of `data` from the token: RSA PKCS#1
 * v1.5 with SHA-256 (CKM_SHA256_RSA_PKCS, else CKM_RSA_PKCS over a DigestInfo
 * hashed here), ECDSA over a SHA-256 hashed here (CKM_ECDSA, else
 * CKM_ECDSA_SHA256).
 */
function plan(context: SessionContext, key: KeyInfo, data: Buffer, option: string): Plan {
  const offered = (mechanism: number) => context.mechanisms === undefined || context.mechanisms.has(mechanism);
  if (key.keyType === CK.CKK_RSA) {
    if (offered(CK.CKM_SHA256_RSA_PKCS)) return { mechanism: CK.CKM_SHA256_RSA_PKCS, input: data, outputBytes: RSA_SIGNATURE_BYTES, rawEcdsa: false };
    if (offered(CK.CKM_RSA_PKCS)) {
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash("sha256").update(data).digest()]);
      return { mechanism: CK.CKM_RSA_PKCS, input: digestInfo, outputBytes: RSA_SIGNATURE_BYTES, rawEcdsa: false };
    }
    throw mechanismError(context, key, option, "CKM_SHA256_RSA_PKCS or CKM_RSA_PKCS");
  }
  if (key.keyType === CK.CKK_EC) {
    if (offered(CK.CKM_ECDSA))
      return { mechanism: CK.CKM_ECDSA, input: createHash("sha256").update(data).digest(), outputBytes: ECDSA_SIGNATURE_BYTES, rawEcdsa: true };
    if (offered(CK.CKM_ECDSA_SHA256)) return { mechanism: CK.CKM_ECDSA_SHA256, input: data, outputBytes: ECDSA_SIGNATURE_BYTES, rawEcdsa: true };
    throw mechanismError(context, key, option, "CKM_ECDSA or CKM_ECDSA_SHA256");
  }
  throw unsupportedKeyType(key, context, option);
}

function mechanismError(context: SessionContext, key: KeyInfo, option: string, needed: string, returnValue?: string): Pkcs11Error {
  return new Pkcs11Error(
    "mechanism",
    option,
    `Token ${context.token.name} cannot sign with ${key.keyTypeName} key ${key.name}: it offers neither ${needed}, which SigV4-X509 needs. Use a key on a token that supports ${needed}, or change ${option} to such a key.`,
    returnValue,
  );
}

/** The error for a key certcreds cannot sign with (not RSA or EC). */
export function unsupportedKeyType(key: KeyInfo, context: SessionContext, option: string): Pkcs11Error {
  return new Pkcs11Error(
    "key-type",
    option,
    `Key ${key.name} on token ${context.token.name} is ${/^[AEIOU]/.test(key.keyTypeName) ? "an" : "a"} ${key.keyTypeName} key. IAM Roles Anywhere and AWS IoT take RSA (2048 bits or more) and EC (P-256, P-384, P-521) keys: change ${option} to such a key.`,
  );
}

/**
 * Signs on the token (inside {@link TokenSession.run}). For keys with
 * CKA_ALWAYS_AUTHENTICATE, logs in for this one operation after C_SignInit.
 * Returns RSA signatures as is and ECDSA ones converted to DER.
 */
export async function signOnToken(tokenSession: TokenSession, context: SessionContext, key: KeyInfo, data: Buffer, option: string): Promise<Buffer> {
  if (!key.canSign) {
    throw new Pkcs11Error(
      "key-type",
      option,
      `Key ${key.name} on token ${context.token.name} is not allowed to sign (CKA_SIGN is false). Change ${option} to a signing key.`,
    );
  }
  const { mechanism, input, outputBytes, rawEcdsa } = plan(context, key, data, option);
  const { module, session } = context;
  try {
    module.C_SignInit(session, { mechanism }, key.handle);
  } catch (error) {
    const returnValue = returnValueOf(error);
    if (returnValue === "CKR_MECHANISM_INVALID" || returnValue === "CKR_MECHANISM_PARAM_INVALID") {
      throw mechanismError(context, key, option, MECHANISM_NAMES[mechanism] ?? String(mechanism), returnValue);
    }
    if (returnValue === "CKR_KEY_FUNCTION_NOT_PERMITTED" || returnValue === "CKR_KEY_TYPE_INCONSISTENT") {
      throw new Pkcs11Error(
        "key-type",
        option,
        `Token ${context.token.name} refuses to sign with key ${key.name} (${returnValue}). Change ${option} to a signing key.`,
        returnValue,
      );
    }
    throw error;
  }
  if (key.alwaysAuthenticate) {
    try {
      await tokenSession.contextLogin(context, key.name);
    } catch (error) {
      // The signing operation stays active on the session after a failed login: start afresh next time.
      tokenSession.discard(context);
      throw error;
    }
  }
  // Not zero-filled: the token writes the signature and only that slice is returned.
  const output = Buffer.allocUnsafe(outputBytes);
  let signature: Buffer;
  if (tokenSession.pace.inline) {
    const started = performance.now();
    signature = module.C_Sign(session, input, output);
    tokenSession.pace.record(performance.now() - started, true);
  } else {
    const started = performance.now();
    signature = await module.C_SignAsync(session, input, output);
    tokenSession.pace.record(performance.now() - started, false);
  }
  return rawEcdsa ? ecdsaRawToDer(signature) : Buffer.from(signature);
}
