import assert from "node:assert/strict";
import { constants, createHash, createHmac, sign } from "node:crypto";
import { type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { RolesAnywhereEmulator, StsEmulator, TestCertificate } from "../../testing/index.js";

// ---------------------------------------------------------------------------
// An independent, minimal SigV4 signer and client — written for the emulator tests only, from
// the protocol description, so the emulators are checked against something
// other than their own code.
// ---------------------------------------------------------------------------

const sha256Hex = (data: string) => createHash("sha256").update(data).digest("hex");
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const amzDateOf = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

interface SignInput {
  method: string;
  path: string;
  query?: Record<string, string>;
  /** Lower-case names; all of them are signed. */
  headers: Record<string, string>;
  body: string;
  algorithm: string;
  amzDate: string;
  scope: string;
  credentialId: string;
  sign: (stringToSign: string) => string;
}

function signRequest(input: SignInput): { target: string; headers: Record<string, string> } {
  const query = Object.entries(input.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join("&");
  const headers: Record<string, string> = { ...input.headers, "x-amz-date": input.amzDate };
  const names = Object.keys(headers).sort();
  const canonical = [
    input.method,
    input.path,
    query,
    names.map((n) => `${n}:${(headers[n] ?? "").trim()}\n`).join(""),
    names.join(";"),
    sha256Hex(input.body),
  ].join("\n");
  const toSign = [input.algorithm, input.amzDate, input.scope, sha256Hex(canonical)].join("\n");
  const authorization = `${input.algorithm} Credential=${input.credentialId}/${input.scope}, SignedHeaders=${names.join(";")}, Signature=${input.sign(toSign)}`;
  return { target: query ? `${input.path}?${query}` : input.path, headers: { ...headers, authorization } };
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function send(
  baseUrl: string,
  opts: { method: string; target: string; headers: Record<string, string>; body: string; timeoutMs?: number; ca?: string },
): Promise<HttpResult> {
  const url = new URL(baseUrl);
  const requestFn = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method,
        path: opts.target,
        headers: { ...opts.headers, "content-length": String(Buffer.byteLength(opts.body)) },
        agent: false,
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    if (opts.timeoutMs) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error("client timeout"), { code: "ETIMEDOUT" })));
    }
    req.on("error", reject);
    req.end(opts.body);
  });
}

export interface SessionRequest {
  leaf: TestCertificate;
  chain?: TestCertificate[];
  /** JSON body fields (default: the emulator's first trust anchor, profile and role) or a raw string. */
  body?: Record<string, unknown> | string;
  query?: Record<string, string>;
  /** Signing time in ms. Default now. */
  at?: number;
  region?: string;
  /** Credential id; default the decimal serial. */
  credentialId?: string;
  algorithm?: string;
  ecdsaEncoding?: "der" | "ieee-p1363";
  tamper?: (signatureHex: string) => string;
  /** Send content-type without signing it. */
  unsignedContentType?: boolean;
  method?: string;
  path?: string;
  timeoutMs?: number;
  ca?: string;
}

/** Signs and sends a CreateSession request the way a Roles Anywhere client must. */
export function createSession(ra: RolesAnywhereEmulator, r: SessionRequest): Promise<HttpResult> {
  const key = r.leaf.privateKey;
  assert.ok(key, "leaf needs a private key");
  const keyType = key.asymmetricKeyType;
  const algorithm = r.algorithm ?? (keyType === "rsa" ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256");
  const body =
    typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? { profileArn: ra.profileArn, roleArn: ra.roleArn, trustAnchorArn: ra.trustAnchorArn });
  const amzDate = amzDateOf(r.at ?? Date.now());
  const headers: Record<string, string> = {
    host: new URL(ra.url).host,
    "x-amz-x509": r.leaf.certificateDer.toString("base64"),
  };
  if (!r.unsignedContentType) headers["content-type"] = "application/json";
  if (r.chain) headers["x-amz-x509-chain"] = r.chain.map((c) => c.certificateDer.toString("base64")).join(",");
  const signed = signRequest({
    method: r.method ?? "POST",
    path: r.path ?? "/sessions",
    query: r.query,
    headers,
    body,
    algorithm,
    amzDate,
    scope: `${amzDate.slice(0, 8)}/${r.region ?? ra.region}/rolesanywhere/aws4_request`,
    credentialId: r.credentialId ?? r.leaf.serialNumber.toString(10),
    sign: (toSign) => {
      const data = Buffer.from(toSign, "utf8");
      const signature =
        keyType === "rsa"
          ? sign("sha256", data, { key, padding: constants.RSA_PKCS1_PADDING })
          : keyType === "ec"
            ? sign("sha256", data, { key, dsaEncoding: r.ecdsaEncoding ?? "der" })
            : sign(null, data, key);
      const hex = signature.toString("hex");
      return r.tamper ? r.tamper(hex) : hex;
    },
  });
  if (r.unsignedContentType) signed.headers["content-type"] = "application/json";
  return send(ra.url, {
    method: r.method ?? "POST",
    target: signed.target,
    headers: signed.headers,
    body,
    timeoutMs: r.timeoutMs,
    ca: r.ca,
  });
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

/** A raw SigV4 (HMAC) GetCallerIdentity, in either protocol. */
export function callerIdentity(sts: StsEmulator, creds: Credentials, opts: { protocol?: "query" | "json"; tamper?: boolean } = {}): Promise<HttpResult> {
  const json = opts.protocol === "json";
  const body = json ? "{}" : "Action=GetCallerIdentity&Version=2011-06-15";
  const amzDate = amzDateOf(Date.now());
  const scope = `${amzDate.slice(0, 8)}/us-east-1/sts/aws4_request`;
  const hmac = (k: string | Buffer, d: string) => createHmac("sha256", k).update(d).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, amzDate.slice(0, 8)), "us-east-1"), "sts"), "aws4_request");
  const signed = signRequest({
    method: "POST",
    path: "/",
    headers: {
      host: new URL(sts.url).host,
      "content-type": json ? "application/x-amz-json-1.0" : "application/x-www-form-urlencoded; charset=utf-8",
      "x-amz-security-token": creds.sessionToken,
      ...(json ? { "x-amz-target": "AWSSecurityTokenServiceV20110615.GetCallerIdentity" } : {}),
    },
    body,
    algorithm: "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    credentialId: creds.accessKeyId,
    sign: (toSign) => {
      const hex = createHmac("sha256", signingKey).update(toSign).digest("hex");
      return opts.tamper ? `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}` : hex;
    },
  });
  return send(sts.url, { method: "POST", target: signed.target, headers: signed.headers, body });
}

export function credentialsOf(result: HttpResult): Credentials {
  const json = JSON.parse(result.body);
  const c = json.credentialSet[0].credentials;
  return { ...c, expiration: new Date(c.expiration) };
}

export function assertError(result: HttpResult, status: number, errorType: string, message?: RegExp): void {
  assert.equal(result.status, status, result.body);
  assert.equal(result.headers["x-amzn-errortype"], errorType);
  const json = JSON.parse(result.body);
  assert.deepEqual(Object.keys(json), ["message"]);
  if (message) assert.match(json.message, message);
  assert.ok(result.headers.date && !Number.isNaN(Date.parse(result.headers.date)), "Date header");
}
