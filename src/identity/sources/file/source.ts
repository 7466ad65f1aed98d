import type { KeyObject } from "node:crypto";
import { InputFormatError } from "../../../core/errors.js";
import type { IdentityInit } from "../../identity-init.js";
import type { KeySource } from "../../key-source.js";
import { readMaterial } from "../../material.js";
import { KeyObjectSigner } from "../../signer.js";
import { keyPemForTls, parsePemKeyBlock, parsePrivateKey } from "./private-key.js";

/** The key of an init from a file, PEM text, bytes, or the block beside the certificate; read again at each load. */
export function openFileSource(init: IdentityInit): KeySource {
  return {
    async key(_certificate, beside) {
      let privateKey: KeyObject;
      let label: string;
      if (init.privateKey !== undefined) {
        const material = await readMaterial(init.privateKey, "privateKey");
        privateKey = parsePrivateKey(material, init.passphrase);
        label = material.label;
      } else if (beside.blocks.length === 1) {
        label = `private key in ${beside.label}`;
        privateKey = parsePemKeyBlock(beside.blocks[0]!, label, init.passphrase, "certificate");
      } else {
        throw new InputFormatError(
          "privateKey",
          `No private key: pass privateKey (file path, PEM text or bytes), a PEM certificate that also holds its key, or a signer (PKCS#11).`,
        );
      }
      const key = privateKey;
      return { signer: new KeyObjectSigner(key), label, privateKey: key, tlsKey: () => ({ kind: "pem" as const, pem: keyPemForTls(key) }) };
    },
    async close() {},
  };
}
