import { decimalSerial, parseCertificates } from "../../identity/certificate.js";
import { certificatesOf } from "../../identity/certificate-info.js";
import { readMaterial } from "../../identity/material.js";
import { mlDsaOfCertificate } from "../../identity/ml-dsa.js";
import { materialFrom } from "../config/key-inputs.js";
import type { Settings } from "../config/settings.js";
import type { CommandDoc } from "../output/help.js";
import { warnDue, warningDays } from "../output/expiry-warnings.js";
import { stderrLogger } from "../output/stderr-logger.js";
import { UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds read-certificate-data --certificate <file>",
  description:
    'Prints {"keyType","certificateData","serialNumber","supportedAlgorithms"} as aws_signing_helper does: RSA, EC or ML-DSA-44/65/87, the DER in standard base64, the serial number in decimal. A certificate within --expiry-warning-days (default 30) of its end is warned about on standard error.',
  examples: ["certcreds read-certificate-data --certificate device.pem"],
};

/**
 * `certcreds read-certificate-data`, as aws_signing_helper's: the key type
 * (RSA, EC, or the ML-DSA variant), the certificate as standard base64 DER,
 * the serial number in decimal and the algorithms the key can sign with
 * (an ML-DSA key: its variant alone, as the helper prints), as one JSON
 * object. ML-DSA is read from the DER, so this works on any Node.js.
 */
export async function run(settings: Settings): Promise<number> {
  const input = await materialFrom(settings, "certificate");
  if (input === undefined) throw new UsageError("--certificate is required: the certificate file (PEM or DER).");
  const material = await readMaterial(input, "certificate");
  const [certificate, ...bundled] = parseCertificates(material, "certificate").certificates;
  const thresholdDays = warningDays(settings);
  const mlDsa = mlDsaOfCertificate(certificate!.raw).key;
  const type = mlDsa ? undefined : publicKeyType(certificate!);
  const keyType = mlDsa ?? (type === "rsa" ? "RSA" : type === "ec" ? "EC" : "");
  process.stdout.write(
    JSON.stringify({
      keyType,
      certificateData: certificate!.raw.toString("base64"),
      serialNumber: decimalSerial(certificate!),
      supportedAlgorithms: mlDsa ? [mlDsa] : ["SHA256", "SHA384", "SHA512"].map((digest) => `${keyType}${digest}`),
    }),
  );
  // The answer is aws_signing_helper's, field for field: days left go to standard error, and only when inside the threshold.
  warnDue(stderrLogger(false), certificatesOf({ certificate: certificate!, chain: bundled }), { thresholdDays, now: Date.now() });
  return 0;
}

/** The key type, or undefined when this runtime cannot read the key (the helper then prints an empty key type too). */
function publicKeyType(certificate: import("node:crypto").X509Certificate): string | undefined {
  try {
    return certificate.publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}
