import { type KeyObject, randomBytes, verify, X509Certificate } from "node:crypto";
import { KeyMismatchError } from "../../../core/errors.js";
import { describeCertificate } from "../../certificate.js";
import { CK } from "./binding.js";
import type { ObjectSelector, Pkcs11Spec } from "./config.js";
import { Pkcs11Error } from "./errors.js";
import { type CertificateObject, describeKey, findCertificates, findObjects, type KeyInfo } from "./objects.js";
import { signOnToken, unsupportedKeyType } from "./sign-on-token.js";
import type { SessionContext, TokenSession } from "./token-session.js";
import { formatPkcs11Id } from "./uri.js";

function spkiEqual(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: "spki", format: "der" }).equals(b.export({ type: "spki", format: "der" }));
}

function describeSelector(selector: ObjectSelector): string {
  const parts = [selector.label !== undefined ? `label "${selector.label}"` : "", selector.id ? `id ${formatPkcs11Id(selector.id)}` : ""].filter(Boolean);
  return parts.length ? parts.join(" and ") : "any label or id";
}

/** How to narrow the selection, in the words of the input that made it. */
function narrowHint(spec: Pkcs11Spec, option: string, objects: { label?: string; id?: Buffer }[]): string {
  const example = objects.find((o) => o.id?.length) ?? objects[0];
  const exampleId = example?.id?.length ? formatPkcs11Id(example.id) : undefined;
  if (!spec.uriOptions.includes(option)) {
    return `Set pkcs11.privateKeyId${exampleId ? ` (e.g. "${example!.id!.toString("hex")}")` : ""} or pkcs11.privateKeyLabel to choose one.`;
  }
  return `Add id=<id>${exampleId ? ` (e.g. id=${exampleId})` : ""} or object=<label> to the ${option} URI to choose one.`;
}

function listing(objects: { name: string }[]): string {
  return objects.length ? objects.map((o) => o.name).join(", ") : "none";
}

/** Whether `key` made a signature that the certificate's public key verifies. */
async function trialSignature(
  tokenSession: TokenSession,
  context: SessionContext,
  key: KeyInfo,
  certificate: X509Certificate,
  option: string,
  among: "among-several" | "the-only-one",
): Promise<boolean> {
  if (among === "among-several") {
    // Sorting candidates must not prompt for a PIN nor fail on a key that cannot sign: such keys just do not match.
    if (key.alwaysAuthenticate && !tokenSession.spec.reusePin) return false;
    if (!key.canSign || (key.keyType !== CK.CKK_RSA && key.keyType !== CK.CKK_EC)) return false;
  }
  const challenge = randomBytes(32);
  const signature = await signOnToken(tokenSession, context, key, challenge, option);
  return verify("sha256", challenge, certificate.publicKey, signature);
}

/**
 * The private key the spec designates. When several match, the one that
 * belongs to `certificate` wins: first by CKA_ID (the certificate object's
 * id on the token), then by public key, then by a trial signature for keys
 * whose public half the token does not expose.
 */
export async function resolveKey(
  tokenSession: TokenSession,
  context: SessionContext,
  spec: Pkcs11Spec,
  certificate: X509Certificate | undefined,
  certificateObject: CertificateObject | undefined,
): Promise<KeyInfo> {
  const { module, session } = context;
  const option = spec.keyOption;
  const keys = findObjects(module, session, CK.CKO_PRIVATE_KEY, spec.key).map((handle) => describeKey(module, session, handle));
  if (keys.length === 0) {
    const all = findObjects(module, session, CK.CKO_PRIVATE_KEY, {}).map((handle) => describeKey(module, session, handle));
    throw new Pkcs11Error(
      "object-not-found",
      option,
      `No private key with ${describeSelector(spec.key)} on token ${context.token.name}. Private keys found: ${listing(all)}. ${
        all.length
          ? spec.uriOptions.includes(option)
            ? `Change object=<label> or id=<id> in the ${option} URI to one of them.`
            : "Set pkcs11.privateKeyLabel or pkcs11.privateKeyId to one of them."
          : "Check the token, and that the PIN logs in as the key's owner."
      }`,
    );
  }

  let chosen: KeyInfo | undefined;
  if (keys.length === 1) {
    chosen = keys[0]!;
  } else if (!certificate) {
    throw new Pkcs11Error(
      "object-ambiguous",
      option,
      `${keys.length} private keys on token ${context.token.name} match ${describeSelector(spec.key)}: ${listing(keys)}. ${narrowHint(spec, option, keys)}`,
    );
  } else {
    // 1. By CKA_ID: the certificate's own object on the token tells which key is its.
    const certificateIds = certificateObject?.id
      ? [certificateObject.id]
      : findCertificates(module, session, {})
          .filter((c) => c.der.equals(certificate.raw) && c.id?.length)
          .map((c) => c.id!);
    const byId = keys.filter((k) => k.id && certificateIds.some((id) => id.equals(k.id!)));
    let matching: KeyInfo[] = [];
    if (byId.length === 1 && (!byId[0]!.publicKey || spkiEqual(byId[0]!.publicKey, certificate.publicKey))) {
      matching = byId;
    } else {
      // 2. By public key, 3. by trial signature where the token hides the public key.
      for (const key of keys) {
        if (
          key.publicKey
            ? spkiEqual(key.publicKey, certificate.publicKey)
            : await trialSignature(tokenSession, context, key, certificate, option, "among-several")
        ) {
          matching.push(key);
        }
      }
    }
    if (matching.length === 0) {
      throw new KeyMismatchError(
        `None of the ${keys.length} private keys on token ${context.token.name} that match ${describeSelector(spec.key)} (${listing(keys)}) belongs to the certificate ${describeCertificate(certificate)}. Change ${option} or the certificate.`,
      );
    }
    if (matching.length > 1) {
      throw new Pkcs11Error(
        "object-ambiguous",
        option,
        `${matching.length} private keys on token ${context.token.name} belong to the certificate ${describeCertificate(certificate)}: ${listing(matching)}. ${narrowHint(spec, option, matching)}`,
      );
    }
    chosen = matching[0]!;
  }

  if (chosen.keyType !== CK.CKK_RSA && chosen.keyType !== CK.CKK_EC) throw unsupportedKeyType(chosen, context, option);
  if (!chosen.publicKey && certificate) {
    // The token hides this key's public half: prove it is the certificate's by signing.
    if (!(await trialSignature(tokenSession, context, chosen, certificate, option, "the-only-one"))) {
      throw new KeyMismatchError(
        `The private key ${chosen.name} on token ${context.token.name} does not belong to the certificate ${describeCertificate(certificate)}. Change ${option} or the certificate.`,
      );
    }
    chosen.publicKey = certificate.publicKey;
  }
  return chosen;
}

/**
 * The certificate object the spec reads from the token: the one named
 * (label/id), else the one named like the key, else the one of the key
 * (same CKA_ID, then same public key).
 */
export function resolveCertificate(context: SessionContext, spec: Pkcs11Spec): CertificateObject {
  const { module, session } = context;
  const wanted = spec.certificate ?? { explicit: false };
  const option = wanted.explicit ? spec.certificateOption : spec.keyOption;
  let found: CertificateObject[] = [];
  if (wanted.explicit) {
    found = findCertificates(module, session, wanted);
  } else {
    if (spec.key.label !== undefined || spec.key.id !== undefined) found = findCertificates(module, session, spec.key);
    if (found.length !== 1) {
      const keys = findObjects(module, session, CK.CKO_PRIVATE_KEY, spec.key).map((handle) => describeKey(module, session, handle));
      const all = findCertificates(module, session, {});
      const pool = found.length > 1 ? found : all;
      const byId = pool.filter((c) => c.id?.length && keys.some((k) => k.id?.equals(c.id!)));
      found = byId.length ? byId : pool.filter((c) => keys.some((k) => k.publicKey && spkiEqual(k.publicKey, new X509Certificate(c.der).publicKey)));
    }
  }
  const distinct = found.filter((c, i) => found.findIndex((o) => o.der.equals(c.der)) === i);
  if (distinct.length === 1) return distinct[0]!;
  const selector: ObjectSelector = wanted.explicit ? wanted : spec.key;
  if (distinct.length === 0) {
    const all = findCertificates(module, session, {});
    throw new Pkcs11Error(
      "object-not-found",
      option,
      `No certificate ${wanted.explicit ? `with ${describeSelector(selector)} ` : `for the private key (${describeSelector(selector)}) `}on token ${context.token.name}. Certificates found: ${listing(all)}. ${
        all.length ? `Name one with ${certificateFix(spec)}` : "Load the certificate on the token (pkcs11-tool --write-object cert.der --type cert --id <id>)"
      }, or pass the certificate as a file.`,
    );
  }
  throw new Pkcs11Error(
    "object-ambiguous",
    option,
    `${distinct.length} different certificates on token ${context.token.name} match ${describeSelector(selector)}: ${listing(distinct)}. Choose one with ${certificateFix(spec)}.`,
  );
}

function certificateFix(spec: Pkcs11Spec): string {
  return spec.uriOptions.includes("certificate") ? "object=<label> or id=<id> in the certificate URI" : "pkcs11.certificateLabel or pkcs11.certificateId";
}
