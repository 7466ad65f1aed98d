import type { KeyObject, X509Certificate } from "node:crypto";
import { ConfigurationError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { assertCertificateUsable, assertValidAt, decimalSerial, describeCertificate, orderChain, parseCertificates, publicKeyOf } from "./certificate.js";
import type { Identity, IdentityInit } from "./identity-init.js";
import type { KeySource } from "./key-source.js";
import { readMaterial } from "./material.js";
import { mlDsaOfKey } from "./ml-dsa.js";
import { keySourceFor } from "./sources/index.js";
import { assertKeyMatchesCertificate, assertSupportedKey } from "./sources/file/private-key.js";

/** One step of reading and checking an identity, as `certcreds doctor` shows it. */
export interface IdentityCheck {
  title: string;
  status: "pass" | "fail" | "skip";
  /** What was found, or for a failure the error's message (which names the input and the fix). */
  detail: string;
  /** The typed error of a failed step. */
  error?: unknown;
}

/** An identity a mechanism owns: loaded at every refresh, closed with the mechanism. */
export interface OpenedIdentity {
  /** Reads and checks everything before any network call; each failure is a typed error naming the input. */
  load(now: Date): Promise<Identity>;
  /** The same steps as {@link load}, each reported; the steps after a failure are skipped. */
  checks(now: Date): Promise<IdentityCheck[]>;
  /** Releases the key source (token sessions). */
  close(): Promise<void>;
}

const DAY = 86_400_000;

function keyDescription(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") return `RSA ${details?.modulusLength} bits`;
  if (key.asymmetricKeyType === "ec") return `EC ${details?.namedCurve}`;
  return mlDsaOfKey(key) ?? String(key.asymmetricKeyType ?? "unknown key type");
}

/** How the identity will be used, for the checks that depend on it. */
export interface OpenIdentityOptions {
  logger?: Logger;
  /** The key authenticates a mutual-TLS handshake with AWS IoT: refuse certificates the service does not accept. */
  mutualTls?: boolean;
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Runs titled steps in order; `run` throws the first failure, `report` records every step. */
class Steps {
  readonly checks: IdentityCheck[] = [];
  failed = false;
  constructor(private readonly reporting: boolean) {}

  async step<T>(title: string, run: () => Promise<T> | T, detail: (value: T) => string): Promise<T> {
    if (!this.reporting) return run();
    try {
      const value = await run();
      this.checks.push({ title, status: "pass", detail: detail(value) });
      return value;
    } catch (error) {
      this.checks.push({ title, status: "fail", detail: (error as Error)?.message ?? String(error), error });
      this.failed = true;
      throw error;
    }
  }
}

/**
 * The identity of an init: picks its key source (files, PKCS#11, a signer…),
 * opens it at the first load and keeps it until {@link OpenedIdentity.close}.
 * Nothing is read before the first load; files are read again at each one,
 * so a certificate or key renewed on disk is picked up.
 */
export function openIdentity(init: IdentityInit, options: OpenIdentityOptions = {}): OpenedIdentity {
  const mutualTls = options.mutualTls === true;
  let source: Promise<KeySource> | undefined;
  let closed = false;
  const sourceOf = (): Promise<KeySource> => {
    if (!source) {
      const opening = Promise.resolve().then(() => keySourceFor(init).open(init, options));
      source = opening;
      // A failed open (a missing package, a bad URI) is tried again at the next load.
      opening.catch(() => {
        if (source === opening) source = undefined;
      });
    }
    return source;
  };

  async function run(now: Date, steps: Steps): Promise<Identity> {
    if (closed) throw new ConfigurationError("identity", "This identity was closed: create a new session or provider.");
    const keySource = await sourceOf();
    const read = await steps.step(
      "certificate readable and parses",
      async () => {
        if (!keySource.readCertificate && (init.certificate === undefined || init.certificate === null)) {
          throw new ConfigurationError("certificate", "certificate is required: pass a file path, PEM text or bytes.");
        }
        const material = keySource.readCertificate ? await keySource.readCertificate() : await readMaterial(init.certificate!, "certificate");
        const parsed = parseCertificates(material, "certificate");
        assertCertificateUsable(parsed.certificates[0]!, "certificate", "certificate", mutualTls);
        return { material, parsed };
      },
      ({ material, parsed }) => `${material.label}: ${describeCertificate(parsed.certificates[0]!)}, ${keyDescription(publicKeyOf(parsed.certificates[0]!))}`,
    );
    const [certificate, ...bundled] = read.parsed.certificates as [X509Certificate, ...X509Certificate[]];
    const intermediates = [...bundled];
    const chainInputs = init.certificateChain === undefined ? [] : Array.isArray(init.certificateChain) ? init.certificateChain : [init.certificateChain];
    if (chainInputs.length > 0) {
      const labels: string[] = [];
      await steps.step(
        "intermediates readable and parse",
        async () => {
          for (const input of chainInputs) {
            const material = await readMaterial(input, "certificateChain");
            labels.push(material.label);
            intermediates.push(...parseCertificates(material, "certificateChain").certificates);
          }
        },
        () => `${labels.join(", ")}: ${intermediates.length - bundled.length} certificate(s)`,
      );
    }
    const key = await steps.step(
      "private key readable and parses",
      () => keySource.key(certificate, { blocks: read.parsed.keyBlocks, label: read.material.label }),
      (found) => `${found.label}${found.privateKey ? `: ${keyDescription(found.privateKey)}` : ""}`,
    );
    await steps.step(
      "key type supported",
      () => {
        if (key.privateKey) assertSupportedKey(key.privateKey, key.label);
        assertSupportedKey(publicKeyOf(certificate), `The certificate's public key`, "certificate");
      },
      () => keyDescription(publicKeyOf(certificate)),
    );
    await steps.step(
      "key matches certificate",
      async () => {
        if (key.privateKey) assertKeyMatchesCertificate(key.privateKey, certificate, key.label);
        else if (key.publicKey) assertKeyMatchesCertificate(await key.publicKey(), certificate, key.label);
      },
      () => "the private key is the certificate's",
    );
    await steps.step(
      "certificate validity",
      () => assertValidAt(certificate, now, "certificate"),
      () => {
        const left = new Date(certificate.validTo).getTime() - now.getTime();
        const soon = left < 7 * DAY ? ` — expires in ${Math.max(0, Math.floor(left / 3_600_000))} h: renew it soon` : "";
        return `valid from ${rfc3339(new Date(certificate.validFrom))} to ${rfc3339(new Date(certificate.validTo))}${soon}`;
      },
    );
    const chain = await steps.step(
      "certificate chain order",
      () => {
        const ordered = orderChain(certificate, intermediates, now);
        if (mutualTls) for (const intermediate of ordered) assertCertificateUsable(intermediate, "intermediate certificate", "certificateChain", true);
        return ordered;
      },
      (ordered) =>
        ordered.length
          ? `${ordered.length} intermediate(s) link the certificate to "${ordered.at(-1)!.issuer.replace(/\n/g, ", ")}"`
          : `issuer "${certificate.issuer.replace(/\n/g, ", ")}"; no intermediates given (the trust anchor must have issued the certificate)`,
    );
    return {
      certificate,
      chain,
      certificateBase64: certificate.raw.toString("base64"),
      chainBase64: chain.map((c) => c.raw.toString("base64")).join(","),
      serialNumber: decimalSerial(certificate),
      signer: key.signer,
      ...(key.privateKey ? { privateKey: key.privateKey } : {}),
      ...(key.tlsKey ? { tlsKey: key.tlsKey } : {}),
    };
  }

  return {
    load: (now) => run(now, new Steps(false)),
    async checks(now) {
      const steps = new Steps(true);
      try {
        await run(now, steps);
      } catch (error) {
        // A failure before any step (the key source did not open) is reported as the key's.
        if (!steps.failed) steps.checks.push({ title: "key source opens", status: "fail", detail: (error as Error)?.message ?? String(error), error });
      }
      return steps.checks;
    },
    async close() {
      closed = true;
      const opened = source;
      source = undefined;
      await (await opened?.catch(() => undefined))?.close();
    },
  };
}
