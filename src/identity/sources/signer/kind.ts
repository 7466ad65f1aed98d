import type { KeySourceKind } from "../../key-source.js";

/** A key the caller signs with itself (`signer`), e.g. in a KMS or an HSM reached by other means. */
export const signerKeySource: KeySourceKind = {
  name: "signer",
  claims: (init) => init.signer !== undefined,
  noMutualTls: {
    option: "signer",
    message:
      "The IoT credential provider authenticates with mutual TLS, which needs the private key in this process: pass privateKey (file path, PEM text or bytes). " +
      "A key reachable only through a signer is not supported for IoT yet; for a key on a PKCS#11 token use the pkcs11 option (or a pkcs11: URI as privateKey), which carries mutual TLS through aws-crt.",
  },
  async open(init) {
    const signer = init.signer!;
    return {
      async key() {
        return { signer, label: "signer", ...(signer.publicKey ? { publicKey: () => signer.publicKey!() } : {}) };
      },
      async close() {},
    };
  },
};
