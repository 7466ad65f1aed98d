import { decimalSerial, parseCertificates } from "../../identity/certificate.js";
import { readMaterial } from "../../identity/material.js";
import { materialFrom } from "../config/key-inputs.js";
import type { Settings } from "../config/settings.js";
import type { CommandDoc } from "../output/help.js";
import { UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds read-certificate-data --certificate <file>",
  description:
    'Prints {"keyType","certificateData","serialNumber","supportedAlgorithms"} as aws_signing_helper does: RSA or EC, the DER in standard base64, the serial number in decimal.',
  examples: ["certcreds read-certificate-data --certificate device.pem"],
};

/**
 * `certcreds read-certificate-data`, as aws_signing_helper's: the key type
 * (RSA or EC), the certificate as standard base64 DER, the serial number in
 * decimal and the algorithms the key can sign with, as one JSON object.
 */
export async function run(settings: Settings): Promise<number> {
  const input = await materialFrom(settings, "certificate");
  if (input === undefined) throw new UsageError("--certificate is required: the certificate file (PEM or DER).");
  const material = await readMaterial(input, "certificate");
  const [certificate] = parseCertificates(material, "certificate").certificates;
  const type = certificate!.publicKey.asymmetricKeyType;
  const keyType = type === "rsa" ? "RSA" : type === "ec" ? "EC" : "";
  process.stdout.write(
    JSON.stringify({
      keyType,
      certificateData: certificate!.raw.toString("base64"),
      serialNumber: decimalSerial(certificate!),
      supportedAlgorithms: ["SHA256", "SHA384", "SHA512"].map((digest) => `${keyType}${digest}`),
    }),
  );
  return 0;
}
