import { generateKeyPair, type KeyObject } from "node:crypto";
import type { TestKeyType } from "./types.js";

/**
 * Generates a key pair of the given type with Node's asynchronous key
 * generation (RSA-4096 takes seconds; the async API keeps the event loop free).
 */
export function generateTestKeyPair(keyType: TestKeyType): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (err) reject(err);
      else resolve({ privateKey, publicKey });
    };
    switch (keyType) {
      case "rsa-1024":
      case "rsa-2048":
      case "rsa-3072":
      case "rsa-4096":
        generateKeyPair("rsa", { modulusLength: Number(keyType.slice(4)), publicExponent: 0x10001 }, done);
        return;
      case "ec-p256":
      case "ec-p384":
      case "ec-p521":
        generateKeyPair("ec", { namedCurve: `P-${keyType.slice(4)}` }, done);
        return;
      case "ed25519":
        generateKeyPair("ed25519", {}, done);
        return;
      case "ml-dsa-44":
      case "ml-dsa-65":
      case "ml-dsa-87":
        try {
          // Typed for Node 20, whose crypto knows no ML-DSA: the runtime checks the name.
          (generateKeyPair as unknown as (type: string, options: object, callback: typeof done) => void)(keyType, {}, done);
        } catch (cause) {
          reject(new TypeError(`${keyType} test keys need Node.js 24.6 or later (this is Node.js ${process.version})`, { cause }));
        }
        return;
      default:
        reject(new TypeError(`Unknown key type: ${String(keyType)}`));
    }
  });
}
