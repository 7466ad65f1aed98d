/**
 * The TPM proxy (tpm-proxy.ts) as a process of its own: a test process
 * that loads tpm2-pkcs11 calls the TPM synchronously from its main thread,
 * so a proxy on that thread's event loop could never answer. Prints one
 * JSON line with the proxy's TCTI strings; exits when standard input closes
 * (its parent is gone).
 */
import { startTpmProxy } from "./tpm-proxy.js";

const proxy = await startTpmProxy(Number(process.argv[2]));
process.stdout.write(`${JSON.stringify({ tcti: proxy.tcti })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void proxy.close().then(() => process.exit(0));
});
