/**
 * Figures, on a real software TPM (swtpm, no resource manager) started for
 * the run: the TPM part of a refresh — read the certificate and the TSS2
 * key file, sign one SigV4-X509 string to sign — with the key kept loaded
 * between refreshes (checked by name, ReadPublic + Sign) vs loaded, signed
 * and flushed each time (CreatePrimary + Load + FlushContext + Sign +
 * FlushContext, what AWS's helper does at every signature). Under the owner
 * hierarchy, and under a persistent parent (no primary to re-create).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadIdentity, releaseIdentity } from "../src/identity/load-identity.js";
import type { IdentityInit } from "../src/identity/identity-init.js";
import { createTestCertificateAuthority } from "../testing/index.js";
import { startSwtpm, swtpmUnavailable } from "../test/helpers/swtpm.js";
import type { BenchFact, BenchOutput, BenchRow } from "./harness.js";
import { median, timeMs } from "./harness.js";

const ROUNDS = 31;
const DATA = Buffer.from("AWS4-X509-ECDSA-SHA256\n20261122T101500Z\n20261122/us-east-1/rolesanywhere/aws4_request\n".repeat(2));

export default async function tpmBench(): Promise<BenchOutput> {
  const unavailable = swtpmUnavailable();
  if (unavailable) return { rows: [], facts: [{ issue: "#12", name: "TPM benchmarks", value: `skipped: ${unavailable}` }] };
  const tpm = await startSwtpm();
  const rows: BenchRow[] = [];
  const facts: BenchFact[] = [];
  try {
    const ca = await createTestCertificateAuthority();
    await tpm.persistentPrimary("0x81000001");
    for (const [name, parent] of [
      ["owner hierarchy (primary re-created)", undefined],
      ["persistent parent 0x81000001", "0x81000001"],
    ] as const) {
      const key = await tpm.genpkey("ec-p256", parent ? { parent } : {});
      const cert = await ca.issue({ commonName: "bench-tpm", publicKey: key.publicKey });
      const certPath = join(tpm.dir, `bench-${parent ?? "owner"}.pem`);
      await writeFile(certPath, cert.certificatePem);
      const initFor = (keepLoaded: boolean): IdentityInit => ({ certificate: certPath, privateKey: key.path, tpm: { device: tpm.device, keepLoaded } });
      const kept = initFor(true);
      const flushed = initFor(false);
      /** One refresh: the identity read and checked, one signature; returns the signature's share in ms. */
      const refresh = async (init: IdentityInit): Promise<number> => {
        const identity = await loadIdentity(init, new Date());
        return timeMs(async () => identity.signer.sign(DATA));
      };
      // Warm up both: the kept key's first load is not a refresh that keeps anything.
      await refresh(kept);
      await refresh(flushed);
      const samples = { kept: { total: [] as number[], sign: [] as number[] }, flushed: { total: [] as number[], sign: [] as number[] } };
      const measure = async (side: "kept" | "flushed") => {
        let sign = 0;
        samples[side].total.push(await timeMs(async () => (sign = await refresh(side === "kept" ? kept : flushed))));
        samples[side].sign.push(sign);
      };
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which side goes first so that drift of the machine favours neither.
        for (const side of round % 2 === 0 ? (["kept", "flushed"] as const) : (["flushed", "kept"] as const)) await measure(side);
      }
      await releaseIdentity(kept);
      await releaseIdentity(flushed);
      const software = "swtpm over TCP, a software TPM: a hardware TPM takes tens to hundreds of ms for the CreatePrimary and Load a kept key saves";
      rows.push({
        issue: "#12",
        name: `TPM signature at a refresh (EC P-256 TSS2 key, ${name}): key kept loaded vs load, sign, flush each time`,
        unit: "ms",
        baseline: { label: parent ? "Load + Sign + flush (AWS helper)" : "CreatePrimary + Load + Sign + 2 flushes (AWS helper)", values: samples.flushed.sign },
        candidate: { label: "certcreds keepLoaded: ReadPublic name check + Sign", values: samples.kept.sign },
        note: `medians ${median(samples.kept.sign).toFixed(2)} ms vs ${median(samples.flushed.sign).toFixed(2)} ms (${software}; behind /dev/tpmrm0 the kept key needs no name check)`,
      });
      rows.push({
        issue: "#12",
        name: `Whole identity refresh with a TPM key (${name}): certificate and key file read and checked, one signature`,
        unit: "ms",
        baseline: { label: "load, sign, flush", values: samples.flushed.total },
        candidate: { label: "key kept loaded", values: samples.kept.total },
        note: `medians ${median(samples.kept.total).toFixed(2)} ms vs ${median(samples.flushed.total).toFixed(2)} ms`,
      });
    }
    facts.push({
      issue: "#12",
      name: "TPM transient objects left after the runs",
      value: String((await tpm.transientHandles()).length),
      goal: "0",
      met: (await tpm.transientHandles()).length === 0,
    });
  } finally {
    await tpm.close();
  }
  return { rows, facts };
}
