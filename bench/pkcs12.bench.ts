/**
 * Figures: opening a PKCS#12 file (both encodings openssl writes) against
 * reading the same key as PKCS#8 beside its certificate — at the first load
 * (the key derivations run) and at a refresh of the unchanged file (kept).
 * No goal: the ratio is reported.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdentity, releaseIdentity } from "../src/identity/load-identity.js";
import type { IdentityInit } from "../src/identity/identity-init.js";
import { createTestCertificateAuthority } from "../testing/index.js";
import { exportPkcs12, opensslLegacyUnavailable, opensslUnavailable } from "../test/helpers/pkcs12.js";
import type { BenchOutput, BenchRow } from "./harness.js";

const ROUNDS = 9;
const OPENS = 10;
const PASSWORD = "bench-password";

/** Mean ms of one load of a fresh init (nothing kept from an earlier load), or of a refresh of one init when `refresh`. */
async function loadMs(make: () => IdentityInit, refresh: boolean): Promise<number> {
  const now = new Date();
  let total = 0;
  const kept = make();
  if (refresh) await loadIdentity(kept, now);
  for (let i = 0; i < OPENS; i++) {
    const init = refresh ? kept : make();
    const started = performance.now();
    await loadIdentity(init, now);
    total += performance.now() - started;
    if (!refresh) await releaseIdentity(init);
  }
  await releaseIdentity(kept);
  return total / OPENS;
}

export default async function (): Promise<BenchOutput> {
  if (opensslUnavailable()) return { rows: [], facts: [{ issue: "#12", name: "PKCS#12 open time", value: "not measured: openssl is not installed" }] };
  const dir = await mkdtemp(join(tmpdir(), "certcreds-bench-p12-"));
  try {
    const ca = await createTestCertificateAuthority();
    const leaf = await ca.issue({ keyType: "ec-p256" });
    const certificate = join(dir, "device.pem");
    const privateKey = join(dir, "device.key");
    const encryptedKey = join(dir, "device-encrypted.key");
    await writeFile(certificate, leaf.certificatePem);
    await writeFile(privateKey, leaf.privateKeyPem!);
    // What openssl pkcs8 -topk8 writes by default: PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256, 2048 iterations.
    await writeFile(encryptedKey, leaf.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSWORD }) as string);
    const identity = { certificatePem: leaf.certificatePem, keyPem: leaf.privateKeyPem!, password: PASSWORD };
    const files = [{ name: "default encoding (PBES2 AES-256, PBKDF2-SHA256, SHA-256 MAC)", path: await exportPkcs12(dir, "device.p12", identity) }];
    if (!opensslLegacyUnavailable()) {
      files.push({
        name: "-legacy (3DES key, RC2-40 certificate, SHA-1 MAC)",
        path: await exportPkcs12(dir, "device-legacy.p12", { ...identity, legacy: true }),
      });
    }
    const pkcs8 = () => ({ certificate, privateKey });
    const rows: BenchRow[] = [];
    const measure = async (name: string, candidate: () => IdentityInit, baseline: () => IdentityInit, baselineLabel: string, refresh: boolean) => {
      const row: BenchRow = {
        issue: "#12",
        name,
        unit: "ms per load",
        baseline: { label: baselineLabel, values: [] },
        candidate: { label: "PKCS#12 file", values: [] },
        note: refresh
          ? "a refresh of an unchanged file: read and compared, the key kept from the first open"
          : "a first load: file read, MAC checked, parts decrypted (2048 iterations each), key imported, chain ordered",
      };
      for (let round = 0; round < ROUNDS; round++) {
        row.baseline.values.push(await loadMs(baseline, refresh));
        row.candidate.values.push(await loadMs(candidate, refresh));
      }
      rows.push(row);
    };
    for (const file of files) {
      const p12 = () => ({ certificate: file.path, passphrase: PASSWORD });
      await measure(`PKCS#12 open, ${file.name}, vs PKCS#8`, p12, pkcs8, "certificate PEM + PKCS#8 key", false);
      await measure(
        `PKCS#12 open, ${file.name}, vs encrypted PKCS#8`,
        p12,
        () => ({ certificate, privateKey: encryptedKey, passphrase: PASSWORD }),
        "certificate PEM + encrypted PKCS#8 (AES-256, 2048 iterations)",
        false,
      );
    }
    await measure(
      "PKCS#12 refresh, unchanged file, vs PKCS#8",
      () => ({ certificate: files[0]!.path, passphrase: PASSWORD }),
      pkcs8,
      "certificate PEM + PKCS#8 key",
      true,
    );
    return { rows, facts: [] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
