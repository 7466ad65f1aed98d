/**
 * Property-based tests: every parser and validator, fed generated input,
 * gives a correct result or a typed CertcredsError — never an untyped throw,
 * a crash or a hang.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { CertcredsError, ConfigurationError, NetworkError, ResponseFormatError, ServiceError } from "../../src/core/errors.js";
import { loadIdentity } from "../../src/identity/load-identity.js";
import { parseArn } from "../../src/aws/arn.js";
import { validateRolesAnywhereOptions } from "../../src/mechanisms/roles-anywhere/options.js";
import { parseRetryAfter } from "../../src/aws/error-answer.js";
import { parseCreateSessionSuccess } from "../../src/mechanisms/roles-anywhere/response.js";
import { createSessionError } from "../../src/mechanisms/roles-anywhere/service-errors.js";
import { sendRequest } from "../../src/transport/http-request.js";
import { createTestCertificateAuthority, type TestCertificate, type TestCertificateAuthority } from "../../testing/index.js";

const now = new Date();
let root: TestCertificateAuthority;
let issuing: TestCertificateAuthority;
let leaf: TestCertificate;

before(async () => {
  root = await createTestCertificateAuthority();
  issuing = await root.createIntermediate();
  leaf = await issuing.issue({ keyType: "ec-p256" });
});

/** Runs `fn`; passes if it resolves or rejects with a CertcredsError. */
async function typedOrOk(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (error instanceof CertcredsError) return true;
    throw new Error(`untyped error: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

/** Mutations of a PEM text: truncation, flipped base64 characters, relabelling, junk around it. */
function mutatedPem(pem: () => string) {
  return fc.oneof(
    fc.nat().map((n) => pem().slice(0, n % (pem().length + 1))),
    fc.tuple(fc.nat(), fc.constantFrom("A", "!", "=", "\n", "-", " ", "é")).map(([i, c]) => {
      const text = pem();
      const at = 30 + (i % Math.max(1, text.length - 60));
      return text.slice(0, at) + c + text.slice(at + 1);
    }),
    fc
      .constantFrom("CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY", "X", "")
      .map((label) => pem().replace(/-----(BEGIN|END) [A-Z ]+-----/g, `-----$1 ${label}-----`)),
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\n${pem()}\n${b}`),
    fc.base64String({ minLength: 0, maxLength: 3000 }).map((b) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`),
  );
}

test("certificate inputs: arbitrary bytes, strings and mutated PEM give a result or a typed error", { timeout: 120_000 }, async () => {
  const inputs = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x30, ...b])),
    fc.string({ maxLength: 300 }).map((s) => `-----BEGIN ${s}`),
    mutatedPem(() => leaf.certificatePem),
  );
  await fc.assert(
    fc.asyncProperty(inputs, (certificate) => typedOrOk(() => loadIdentity({ certificate, privateKey: leaf.privateKeyPem! }, now))),
    { numRuns: 2000 },
  );
});

test("private key inputs: arbitrary and mutated keys, passphrases", { timeout: 120_000 }, async () => {
  const encrypted = leaf.privateKey!.export({ type: "pkcs8", format: "pem", cipher: "aes-128-cbc", passphrase: "pw" }) as string;
  const inputs = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    mutatedPem(() => leaf.privateKeyPem!),
    mutatedPem(() => encrypted),
    fc.constant(leaf.privateKey!.export({ type: "sec1", format: "der" })).chain((der) => fc.nat(der.length).map((n) => der.subarray(0, n))),
  );
  await fc.assert(
    fc.asyncProperty(inputs, fc.option(fc.string({ maxLength: 20 })), (privateKey, passphrase) =>
      typedOrOk(() =>
        loadIdentity(
          { certificate: leaf.certificatePem, certificateChain: issuing.certificatePem, privateKey, ...(passphrase === null ? {} : { passphrase }) },
          now,
        ),
      ),
    ),
    { numRuns: 2000 },
  );
});

test("huge inputs are refused or parsed without blowing up", { timeout: 60_000 }, async () => {
  const huge = `${leaf.certificatePem}\n${"A".repeat(8 * 1024 * 1024)}`;
  assert.ok(await typedOrOk(() => loadIdentity({ certificate: huge, privateKey: leaf.privateKeyPem! }, now)));
  const hugeBlock = `-----BEGIN CERTIFICATE-----\n${"QUFB".repeat(2 * 1024 * 1024)}\n-----END CERTIFICATE-----\n`;
  await assert.rejects(loadIdentity({ certificate: hugeBlock, privateKey: leaf.privateKeyPem! }, now), CertcredsError);
});

test("chains in any order and subset: ordered, or CertificateChainError", { timeout: 60_000 }, async () => {
  const other = await createTestCertificateAuthority();
  const pool = [issuing.certificatePem, root.certificatePem, other.certificatePem, leaf.certificatePem];
  await fc.assert(
    fc.asyncProperty(fc.subarray(pool), fc.boolean(), async (chain, bundle) => {
      const certificateChain = bundle ? chain.join("\n") : chain;
      try {
        const identity = await loadIdentity({ certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem!, certificateChain }, now);
        // A result is a path that links: each certificate issued the one before it.
        let child = identity.certificate;
        for (const parent of identity.chain) {
          assert.ok(child.checkIssued(parent));
          child = parent;
        }
        return true;
      } catch (error) {
        return (
          error instanceof CertcredsError ||
          (() => {
            throw error;
          })()
        );
      }
    }),
    { numRuns: 300 },
  );
});

test("ARNs: arbitrary and near-miss strings parse consistently or give ConfigurationError", () => {
  const part = fc.stringMatching(/^[a-z0-9:/-]{0,20}$/);
  const nearArn = fc
    .tuple(
      fc.constantFrom("arn", "ARN", "arm", ""),
      fc.constantFrom("aws", "aws-cn", "aws-us-gov", "awz", ""),
      fc.constantFrom("rolesanywhere", "iam", "s3", ""),
      fc.constantFrom("us-east-1", "eu-west-1", "", "mars-1", "us-east"),
      fc.constantFrom("123456789012", "12345678901", "", "abcdefghijkl"),
      fc.constantFrom("trust-anchor", "profile", "role", "user"),
      fc.constantFrom("/", ":", ""),
      part,
    )
    .map(([a, p, s, r, acct, type, sep, id]) => `${a}:${p}:${s}:${r}:${acct}:${type}${sep}${id}`);
  fc.assert(
    fc.property(fc.oneof(fc.string(), nearArn, fc.anything()), fc.constantFrom("trust-anchor", "profile", "role"), (value, type) => {
      const service = type === "role" ? "iam" : "rolesanywhere";
      try {
        const parsed = parseArn(value, "opt", service, type);
        assert.equal(typeof value, "string");
        assert.ok((value as string).includes(parsed.accountId) && parsed.resourceType === type && /^\d{12}$/.test(parsed.accountId));
        return true;
      } catch (error) {
        if (error instanceof ConfigurationError) return error.option === "opt";
        throw error;
      }
    }),
    { numRuns: 5000 },
  );
});

test("options object: arbitrary values for every option give a result or ConfigurationError", () => {
  const base = {
    trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
    profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/b",
    roleArn: "arn:aws:iam::123456789012:role/c",
  };
  fc.assert(
    fc.property(
      fc.record(
        {
          region: fc.anything(),
          durationSeconds: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          roleSessionName: fc.oneof(fc.string(), fc.anything()),
          endpoint: fc.oneof(fc.webUrl(), fc.string(), fc.anything()),
          timeoutMs: fc.oneof(fc.integer(), fc.anything()),
        },
        { requiredKeys: [] },
      ),
      (extra) => {
        try {
          validateRolesAnywhereOptions({ ...base, ...(extra as object) });
          return true;
        } catch (error) {
          if (error instanceof CertcredsError) return true;
          throw error;
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test("CreateSession answers: any JSON, wrong types, bad expirations → credentials or ResponseFormatError", () => {
  const nowMs = Date.now();
  const credentialFields = fc.record(
    {
      accessKeyId: fc.oneof(fc.string(), fc.anything()),
      secretAccessKey: fc.oneof(fc.string(), fc.anything()),
      sessionToken: fc.oneof(fc.string(), fc.anything()),
      expiration: fc.oneof(
        fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? "not a date" : d.toISOString())),
        fc.string(),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  );
  const nearValid = credentialFields.chain((credentials) =>
    fc.oneof(
      fc.constant({ credentialSet: [{ credentials, assumedRoleUser: { arn: "arn:aws:sts::123456789012:assumed-role/R/s" } }] }),
      fc.constant({ credentialSet: [{ credentials }] }),
      fc.constant({ credentialSet: { credentials } }),
      fc.constant({ credentialSet: [] }),
      fc.constant([credentials]),
    ),
  );
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), nearValid, fc.string()), (value) => {
      const body = Buffer.from(typeof value === "string" ? value : (JSON.stringify(value) ?? ""));
      try {
        const credentials = parseCreateSessionSuccess(body, nowMs, "123456789012");
        assert.ok(credentials.accessKeyId && credentials.secretAccessKey && credentials.sessionToken);
        assert.ok(credentials.expiration.getTime() > nowMs, "never credentials that are already expired");
        return true;
      } catch (error) {
        if (error instanceof ResponseFormatError) return true;
        throw error;
      }
    }),
    { numRuns: 5000 },
  );
});

test("CreateSession errors: any status, body and headers → a ServiceError with a bounded one-line message", () => {
  const ctx = { region: "us-east-1", trustAnchorArn: "t", profileArn: "p", roleArn: "r", accountId: "123456789012" };
  fc.assert(
    fc.property(
      fc.integer({ min: 100, max: 599 }),
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ""),
        fc.string({ maxLength: 5000 }),
        fc.constant("x".repeat(100_000)),
      ),
      fc.option(fc.string()),
      fc.option(
        fc.oneof(
          fc.string(),
          fc.integer().map(String),
          fc.date().map((d) => d.toUTCString()),
        ),
      ),
      (status, body, type, retryAfter) => {
        const headers: Record<string, string> = {};
        if (type !== null) headers["x-amzn-errortype"] = type;
        if (retryAfter !== null) headers["retry-after"] = retryAfter;
        const error = createSessionError({ status, headers, body: Buffer.from(body) }, ctx, Date.now());
        assert.ok(error instanceof ServiceError);
        assert.ok(!error.message.includes("\n"));
        assert.ok(error.message.length < 1200, `message length ${error.message.length}`);
        if (error.retryAfterSeconds !== undefined) assert.ok(error.retryAfterSeconds >= 0 && Number.isFinite(error.retryAfterSeconds));
        return true;
      },
    ),
    { numRuns: 3000 },
  );
  assert.equal(parseRetryAfter("120", 0), 120);
  assert.equal(parseRetryAfter("-1", 0), undefined);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
});

let server: Server;
let base: string;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/megabytes") {
      res.writeHead(201, { "Content-Type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 64 * 1024 * 1024) res.once("drain", pump);
        else res.end();
      };
      pump();
      res.on("close", () => (sent = Number.POSITIVE_INFINITY));
    } else if (req.url === "/endless") {
      res.writeHead(201, { "Content-Type": "application/json" });
      res.write("{");
      const timer = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(timer));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test("a body of megabytes is cut at the cap; a chunked body that never ends times out", async () => {
  const big = sendRequest({ url: new URL(`${base}/megabytes`), method: "POST", headers: {}, body: "{}", timeoutMs: 10_000 });
  await assert.rejects(big, (e: unknown) => e instanceof NetworkError && e.kind === "body-too-large");
  const started = Date.now();
  const endless = sendRequest({ url: new URL(`${base}/endless`), method: "POST", headers: {}, body: "{}", timeoutMs: 400 });
  await assert.rejects(endless, (e: unknown) => e instanceof NetworkError && e.kind === "timeout");
  assert.ok(Date.now() - started < 5_000);
});
