import { ConfigurationError } from "../../core/errors.js";
import type { IdentityInit } from "../identity-init.js";
import type { KeySourceKind } from "../key-source.js";
import { fileKeySource } from "./file/kind.js";
import { pkcs11KeySource } from "./pkcs11/kind.js";
import { pkcs12KeySource } from "./pkcs12/kind.js";
import { signerKeySource } from "./signer/kind.js";
import { tpmKeySource } from "./tpm/kind.js";

/**
 * Every kind of key source, in the order they are asked whether an init is
 * theirs: the specific ones first, the file key (the default) last. A new
 * key source is a folder beside these and one line here.
 */
export const KEY_SOURCES: readonly KeySourceKind[] = [pkcs11KeySource, signerKeySource, tpmKeySource, pkcs12KeySource, fileKeySource];

/** The kind of key source an init names, its conflicts checked. */
export function keySourceFor(init: IdentityInit): KeySourceKind {
  const kind = KEY_SOURCES.find((candidate) => candidate.claims(init)) ?? fileKeySource;
  kind.check?.(init);
  return kind;
}

/** Whether the key source reads the certificate itself when `certificate` is omitted. */
export function sourceSuppliesCertificate(init: IdentityInit): boolean {
  return KEY_SOURCES.some((kind) => kind.claims(init) && kind.suppliesCertificate?.(init) === true);
}

/** Throws the ConfigurationError of a key that cannot sign a TLS handshake (for mutual-TLS mechanisms). */
export function assertMutualTlsKey(init: IdentityInit): void {
  const kind = KEY_SOURCES.find((candidate) => candidate.claims(init));
  if (kind?.noMutualTls) throw new ConfigurationError(kind.noMutualTls.option, kind.noMutualTls.message);
}
