import type { X509Certificate } from "node:crypto";
import type { Logger } from "../../../core/logger.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySource, SourceKey } from "../../key-source.js";
import { type Material, readMaterial } from "../../material.js";
import { KeyObjectSigner } from "../../signer.js";
import { type OpenedPkcs12, openPkcs12 } from "./identity.js";
import { looksLikePfx } from "./sniff.js";

/**
 * `certificate` read at each load, like any certificate file: a PKCS#12 file
 * is opened and yields the certificate, its chain and its key; anything else
 * (PEM with the key beside, DER) is read as the file source reads it. The
 * last file opened is kept with its key, so a refresh of an unchanged file
 * costs a read and a comparison instead of the key derivations again.
 */
export function openPkcs12Source(init: IdentityInit, logger: Logger | undefined): KeySource {
  let last: { bytes: Buffer; opened: OpenedPkcs12; key: SourceKey } | undefined;
  let other: KeySource | undefined;
  return {
    async readCertificate(): Promise<Material> {
      const material = await readMaterial(init.certificate!, "certificate");
      if (!looksLikePfx(material.bytes)) return material;
      if (last?.bytes.equals(material.bytes)) return { ...last.opened.certificates };
      const opened = await openPkcs12(material, init.passphrase, logger);
      last = { bytes: Buffer.from(material.bytes), opened, key: sourceKeyOf(opened) };
      return { ...opened.certificates };
    },
    async key(certificate: X509Certificate, beside) {
      // The certificate read just before: its file's key, or — not a PKCS#12 file — the file source's.
      if (last?.opened.leaf.raw.equals(certificate.raw)) return last.key;
      other ??= (await import("../file/source.js")).openFileSource(init);
      return other.key(certificate, beside);
    },
    async close() {
      last = undefined;
      await other?.close();
    },
  };
}

function sourceKeyOf(opened: OpenedPkcs12): SourceKey {
  const { key } = opened;
  let pem: string | undefined;
  return {
    signer: new KeyObjectSigner(key),
    label: opened.keyLabel,
    privateKey: key,
    // Exported once: Node's TLS takes PEM, and each mutual-TLS fetch would pay the export again.
    tlsKey: () => {
      pem ??= key.export({ type: "pkcs8", format: "pem" }) as string;
      return { kind: "pem" as const, pem };
    },
  };
}
