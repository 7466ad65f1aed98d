import { sign } from "node:crypto";
import { readMaterial } from "../../identity/material.js";
import { assertSupportedKey, parsePrivateKey } from "../../identity/sources/file/private-key.js";
import { KeyObjectSigner } from "../../identity/signer.js";
import { signingKeyInput } from "../config/key-inputs.js";
import type { Settings } from "../config/settings.js";
import type { CommandDoc } from "../output/help.js";
import { UsageError } from "../output/usage-error.js";

export const doc: CommandDoc = {
  usage: "certcreds sign-string --private-key <key> [--string <text>] [--format json|text|bin] [--digest SHA256|SHA384|SHA512]",
  description:
    "Signs the string (from --string, else standard input) with the key: RSA PKCS#1 v1.5 or ECDSA (ASN.1 DER) over the chosen digest, or ML-DSA over the string itself (no --digest), and prints the signature as hex (json: quoted, text: bare) or raw bytes (bin).",
  examples: [
    "printf 'hello' | certcreds sign-string --private-key device.key --format text",
    "certcreds sign-string --private-key device.key --string hello --digest SHA384",
  ],
};

const FORMATS = ["json", "text", "bin"] as const;
const DIGESTS = { SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" } as const;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `certcreds sign-string`, as aws_signing_helper's: signs the string (from
 * --string, else standard input) with the private key over the digest, and
 * prints the signature as a JSON string of hex (default), bare hex, or raw
 * bytes — without a trailing newline, like the helper.
 */
export async function run(settings: Settings): Promise<number> {
  const format = (settings.string("format") ?? "json").toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`${settings.describe("format")} "${format}" is not one of json, text, bin.`);
  const digestName = (settings.string("digest") ?? "SHA256").toUpperCase();
  if (!Object.hasOwn(DIGESTS, digestName)) throw new UsageError(`${settings.describe("digest")} "${digestName}" is not one of SHA256, SHA384, SHA512.`);
  const keyInput = await signingKeyInput(settings, settings.has("string"));
  const material = await readMaterial(keyInput, "private-key");
  const key = parsePrivateKey(material, settings.string("pkcs8-password"));
  assertSupportedKey(key, material.label);
  const signer = new KeyObjectSigner(key);
  // Pure ML-DSA hashes nothing first: SHA256, the default, is accepted as aws_signing_helper does; another digest would promise a different signature.
  if (signer.algorithm === "AWS4-X509-MLDSA" && digestName !== "SHA256") {
    throw new UsageError(`${settings.describe("digest")} ${digestName} does not apply to ML-DSA keys, which sign the string itself: leave --digest out.`);
  }
  const data = settings.has("string") ? Buffer.from(settings.string("string")!, "utf8") : await readStdin();
  const signature =
    digestName === "SHA256" || signer.algorithm === "AWS4-X509-MLDSA"
      ? Buffer.from(await signer.sign(data))
      : sign(DIGESTS[digestName as keyof typeof DIGESTS], data, key);
  if (format === "bin") process.stdout.write(signature);
  else if (format === "text") process.stdout.write(signature.toString("hex"));
  else process.stdout.write(JSON.stringify(signature.toString("hex")));
  return 0;
}
