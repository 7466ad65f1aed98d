import { sign } from "node:crypto";
import { readMaterial } from "../../identity/material.js";
import { assertSupportedKey, parsePrivateKey } from "../../identity/private-key.js";
import { KeyObjectSigner } from "../../identity/signer.js";
import { materialFrom } from "../config/session-factory.js";
import type { Settings } from "../config/settings.js";
import { UsageError } from "../output/usage-error.js";

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
export async function runSignString(settings: Settings): Promise<number> {
  const format = (settings.string("format") ?? "json").toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`${settings.describe("format")} "${format}" is not one of json, text, bin.`);
  const digestName = (settings.string("digest") ?? "SHA256").toUpperCase();
  if (!Object.hasOwn(DIGESTS, digestName)) throw new UsageError(`${settings.describe("digest")} "${digestName}" is not one of SHA256, SHA384, SHA512.`);
  if (settings.string("private-key")?.startsWith("pkcs11:")) {
    throw new UsageError("sign-string signs with a key file, env:VAR or - (standard input); a key on a PKCS#11 token signs with `pkcs11-tool --sign`.");
  }
  const keyInput = await materialFrom(settings, "private-key");
  if (keyInput === undefined) throw new UsageError("--private-key is required: the key to sign with (file, env:VAR or -).");
  if (settings.string("private-key") === "-" && !settings.has("string")) {
    throw new UsageError("the key comes from standard input (--private-key -), so pass the string to sign with --string.");
  }
  const material = await readMaterial(keyInput, "private-key");
  const key = parsePrivateKey(material, settings.string("pkcs8-password"));
  assertSupportedKey(key, material.label);
  const data = settings.has("string") ? Buffer.from(settings.string("string")!, "utf8") : await readStdin();
  const signature =
    digestName === "SHA256" ? Buffer.from(await new KeyObjectSigner(key).sign(data)) : sign(DIGESTS[digestName as keyof typeof DIGESTS], data, key);
  if (format === "bin") process.stdout.write(signature);
  else if (format === "text") process.stdout.write(signature.toString("hex"));
  else process.stdout.write(JSON.stringify(signature.toString("hex")));
  return 0;
}
