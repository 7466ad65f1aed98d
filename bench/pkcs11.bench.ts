/**
 * Figures, on a real SoftHSM2 token initialised for the run:
 * - signatures per second through certcreds' Pkcs11Signer (queue, async
 *   C_Sign on libuv's pool, DER conversion) vs the bare binding calling
 *   C_SignInit + C_Sign on a kept session, the same mechanism and input;
 * - the token part of a refresh with certcreds' kept session vs the way
 *   AWS's helper does it: open a session, log in, find the objects, sign,
 *   close — at every signature.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadIdentity, releaseIdentity } from "../src/identity/load-identity.js";
import { CK, type Pkcs11Module } from "../src/identity/sources/pkcs11/binding.js";
import { acquireModule } from "../src/identity/sources/pkcs11/module-registry.js";
import { fromPkcs11 } from "../src/identity/sources/pkcs11/token-identity.js";
import { createTestCertificateAuthority } from "../testing/index.js";
import { createSoftHsm, softHsmUnavailable } from "../test/helpers/softhsm.js";
import type { BenchOutput, BenchRow } from "./harness.js";
import { median, opsPerSecond, timeMs } from "./harness.js";

const ROUNDS = 15;
const WINDOW_MS = 150;
const REFRESH_ROUNDS = 21;
const TOKEN = "bench-token";
const PIN = "bench-pin-2609";

/** The bare binding: one session, logged in, the key found once; each signature is C_SignInit + C_Sign. */
function bareSigner(module: Pkcs11Module, slot: Buffer, label: string, mechanism: number, ecdsa: boolean) {
  const session = module.C_OpenSession(slot, CK.CKF_SERIAL_SESSION);
  try {
    module.C_Login(session, CK.CKU_USER, PIN);
  } catch (error) {
    if (!/ALREADY_LOGGED_IN/.test((error as Error).message)) throw error;
  }
  module.C_FindObjectsInit(session, [
    { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
    { type: CK.CKA_LABEL, value: label },
  ]);
  const [key] = module.C_FindObjects(session, 1);
  module.C_FindObjectsFinal(session);
  const out = Buffer.alloc(1024);
  return {
    sign(data: Buffer): Buffer {
      module.C_SignInit(session, { mechanism }, key!);
      return module.C_Sign(session, ecdsa ? createHash("sha256").update(data).digest() : data, out);
    },
    close: () => module.C_CloseSession(session),
  };
}

export default async function pkcs11Bench(): Promise<BenchOutput> {
  const unavailable = softHsmUnavailable();
  if (unavailable) return { rows: [], facts: [{ issue: "#5", name: "PKCS#11 benchmarks", value: `skipped: ${unavailable}` }] };
  const hsm = await createSoftHsm([{ label: TOKEN, pin: PIN }]);
  const rows: BenchRow[] = [];
  try {
    const ca = await createTestCertificateAuthority();
    const ecCert = await ca.issue({ commonName: "bench-ec", publicKey: await hsm.generateKey(TOKEN, "ec-p256", { id: "01", label: "ec" }) });
    await hsm.generateKey(TOKEN, "rsa-2048", { id: "02", label: "rsa" });
    const lease = await acquireModule(hsm.library, "bench");
    const slot = lease.module.C_GetSlotList(true).find((s) => lease.module.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    const data = Buffer.from("AWS4-X509-ECDSA-SHA256\n20261122T101500Z\n20261122/us-east-1/rolesanywhere/aws4_request\n".repeat(2));

    for (const [label, mechanism, ecdsa, name] of [
      ["ec", CK.CKM_ECDSA, true, "EC P-256"],
      ["rsa", CK.CKM_SHA256_RSA_PKCS, false, "RSA-2048"],
    ] as const) {
      const bare = bareSigner(lease.module, slot, label, mechanism, ecdsa);
      const source = await fromPkcs11({ library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: label });
      const baseline: number[] = [];
      const candidate: number[] = [];
      const measureBare = () => opsPerSecond(() => bare.sign(data), WINDOW_MS);
      const measureCertcreds = () => opsPerSecond(() => source.signer.sign(data), WINDOW_MS);
      for (let round = -1; round < ROUNDS; round++) {
        // Alternate which side goes first so that drift of the machine favours neither; round -1 warms up.
        let bareRate: number;
        let certcredsRate: number;
        if (round % 2 === 0) {
          bareRate = await measureBare();
          certcredsRate = await measureCertcreds();
        } else {
          certcredsRate = await measureCertcreds();
          bareRate = await measureBare();
        }
        if (round < 0) continue;
        baseline.push(bareRate);
        candidate.push(certcredsRate);
      }
      bare.close();
      await source.close();
      rows.push({
        issue: "#5",
        name: `${name} signatures on SoftHSM2: certcreds Pkcs11Signer vs bare pkcs11js C_Sign`,
        unit: "signatures/s",
        baseline: { label: "pkcs11js C_SignInit+C_Sign, kept session", values: baseline },
        candidate: { label: "certcreds Pkcs11Signer.sign", values: candidate },
        goal: "≥ 0.9",
        note: "same token, mechanism and input; certcreds signs on libuv's thread pool (C_SignAsync) so the event loop stays free",
      });
    }
    lease.release();

    // The token part of a refresh: certificate from a file, key on the token, one SigV4-X509 signature.
    const certPath = join(hsm.dir, "bench-ec.pem");
    await writeFile(certPath, ecCert.certificatePem);
    const config = { library: hsm.library, userPin: PIN, tokenLabel: TOKEN, privateKeyLabel: "ec" };
    const init = { certificate: certPath, pkcs11: config };
    await loadIdentity(init, new Date());
    const kept: number[] = [];
    const reopened: number[] = [];
    for (let round = 0; round < REFRESH_ROUNDS; round++) {
      kept.push(
        await timeMs(async () => {
          const identity = await loadIdentity(init, new Date());
          await identity.signer.sign(data);
        }),
      );
      reopened.push(
        await timeMs(async () => {
          // AWS's helper: open a session, log in, find the objects, sign, close — every time. The same
          // loadIdentity code with a new init object each time does exactly that.
          const fresh = { certificate: certPath, pkcs11: config };
          const identity = await loadIdentity(fresh, new Date());
          await identity.signer.sign(data);
          await releaseIdentity(fresh);
        }),
      );
    }
    await releaseIdentity(init);
    rows.push({
      issue: "#5",
      name: "Token part of a refresh (EC P-256): kept session vs reopen + login + find objects each time",
      unit: "ms",
      baseline: { label: "reopen, C_Login, find key, sign, close (AWS helper)", values: reopened },
      candidate: { label: "certcreds kept session: loadIdentity + sign", values: kept },
      note: `medians ${median(kept).toFixed(2)} ms vs ${median(reopened).toFixed(2)} ms: the ${(median(reopened) - median(kept)).toFixed(2)} ms difference is SoftHSM2's C_OpenSession + C_Login + object discovery; a smart card or network HSM takes tens to hundreds of ms for the same, which the kept session saves at every refresh`,
    });
  } finally {
    await hsm.close();
  }
  return { rows, facts: [] };
}
