/**
 * Property-based tests for `certcreds serve`'s HTTP endpoint, over raw
 * sockets: generated methods, paths (traversal, encodings, very long),
 * headers (Host, Authorization missing/duplicated/huge, token TTLs of every
 * shape, X-Forwarded-For, many and huge headers), bodies and header
 * sections. Every answer must be a well-formed HTTP response with an error
 * status or a correct success; no answer may carry a secret unless it is an
 * authorised credentials answer; the server must keep serving. The server is
 * the real one (createCredentialServer over a RolesAnywhereSession against
 * the emulators), then the real program (`certcreds serve`).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { createCredentialServer } from "../../src/surfaces/local-endpoint/credential-server.js";
import { RolesAnywhereSession } from "../../src/surfaces/sdk/roles-anywhere.js";
import {
  createTestCertificateAuthority,
  type RolesAnywhereEmulator,
  type StsEmulator,
  startRolesAnywhereEmulator,
  startStsEmulator,
} from "../../testing/index.js";
import { createRolesAnywhereFixture, type RolesAnywhereFixture, requireBuild, type Served, startServe } from "../helpers/cli.js";

const ROLE = "arn:aws:iam::123456789012:role/serve-role";
const ROLE_NAME = "serve-role";
const CREDENTIALS = "/latest/meta-data/iam/security-credentials";
/** Statuses a well-behaved answer may have (500/503 only when no credentials exist, which never happens here). */
const STATUSES = new Set([200, 400, 401, 403, 404, 405, 413, 431]);

let ra: RolesAnywhereEmulator;
let sts: StsEmulator;
let session: RolesAnywhereSession;
let server: Server;
let port: number;
const authorizationToken = randomBytes(32).toString("base64url");
let imdsToken: string;
const serverErrors: unknown[] = [];

before(async () => {
  const root = await createTestCertificateAuthority({ commonName: "serve properties root" });
  const device = await root.issue({ commonName: "serve-device", keyType: "ec-p256" });
  ra = await startRolesAnywhereEmulator({ trustAnchors: [{ certificates: [root.certificatePem] }], profiles: [{ roleArns: [ROLE], durationSeconds: 3600 }] });
  sts = await startStsEmulator({ issued: ra.issued });
  session = new RolesAnywhereSession({
    certificate: device.certificatePem,
    privateKey: device.privateKeyPem!,
    trustAnchorArn: ra.trustAnchorArn,
    profileArn: ra.profileArn,
    roleArn: ROLE,
    endpoint: ra.url,
  });
  await session.getCredentials();
  server = createCredentialServer({ supplier: session, roleName: ROLE_NAME, authorizationToken, onError: (error) => serverErrors.push(error) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  const answer = await exchange(
    port,
    `PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\nConnection: close\r\n\r\n`,
  );
  imdsToken = answer.responses[0]!.body;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await session?.close();
  await Promise.all([ra?.close(), sts?.close()]);
});

interface Response {
  status: number;
  headers: [string, string][];
  body: string;
}

/** Splits raw bytes into HTTP/1.1 responses (to a HEAD request: without bodies); throws if they are not well-formed. */
function parseResponses(raw: Buffer, head = false): Response[] {
  const responses: Response[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n\r\n", at);
    assert.ok(end >= 0, `a response without the end of its header section: ${JSON.stringify(raw.subarray(at, at + 200).toString("latin1"))}`);
    const [statusLine, ...headerLines] = raw.subarray(at, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine!);
    assert.ok(status, `a status line: ${JSON.stringify(statusLine)}`);
    const headers = headerLines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      assert.ok(colon > 0, `a header line: ${JSON.stringify(line)}`);
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    // An interim answer (100 Continue) has no body; the others say their length or end with the connection.
    const length = Number(status[1]) < 200 || head ? "0" : headers.find(([name]) => name === "content-length")?.[1];
    const bodyStart = end + 4;
    const bodyEnd = length !== undefined ? bodyStart + Number(length) : raw.length;
    assert.ok(bodyEnd <= raw.length, "the body is as long as Content-Length says");
    responses.push({ status: Number(status[1]), headers, body: raw.subarray(bodyStart, bodyEnd).toString("utf8") });
    at = bodyEnd;
  }
  return responses;
}

/** Sends raw bytes on a fresh connection, half-closes, reads until the server closes (or `timeoutMs`). */
function exchange(to: number, request: string | Buffer, timeoutMs = 8_000): Promise<{ responses: Response[]; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(to, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of answer within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1").slice(0, 300))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {
      /* a reset after the answer is fine: the answer is checked */
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      try {
        resolve({ responses: parseResponses(raw, String(request).startsWith("HEAD ")).filter((r) => r.status >= 200), raw });
      } catch (error) {
        reject(error);
      }
    });
    socket.end(request);
  });
}

/** What a request generator produces: the bytes, and whether it is a well-formed authorised request for credentials. */
interface Generated {
  bytes: string;
  /** "container" / "imds": an authorised request that must get the credentials. */
  authorised?: "container" | "imds" | "token" | "healthz";
  ttl?: string;
}

const methods = fc.constantFrom("GET", "PUT", "POST", "HEAD", "DELETE", "OPTIONS", "PATCH", "get", "FOO", "TRACE", "CONNECT", "");
const paths = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("/credentials", "/healthz", "/latest/api/token", `${CREDENTIALS}/`, `${CREDENTIALS}/${ROLE_NAME}`, CREDENTIALS) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `${CREDENTIALS}/../../../../etc/passwd`,
      `${CREDENTIALS}/%2e%2e/%2e%2e/api/token`,
      "/latest/%61pi/token",
      "//credentials",
      "///credentials",
      "/credentials/",
      "/credentials?x=1",
      "/CREDENTIALS",
      "/credentials%00",
      "/credentials#frag",
      `${CREDENTIALS}/${ROLE_NAME}/`,
      `${CREDENTIALS}/${ROLE_NAME}%2F..`,
      `${CREDENTIALS}/other-role`,
      `${CREDENTIALS}//${ROLE_NAME}`,
      "*",
      "http://127.0.0.1/credentials",
      "credentials",
      "/é",
      "/%ff%fe",
      "/\u0000",
      "/a b",
    ),
  },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => `/${"a/".repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => `/${s}`) },
);
const ttls = fc.oneof(
  fc.constantFrom(
    "1",
    "60",
    "21600",
    "0",
    "-1",
    "21601",
    "1.5",
    "60.0",
    "0x10",
    "1e3",
    "+60",
    " 60 ",
    "\t60",
    "000060",
    "0021600",
    "99999999999999999999",
    "",
    "abc",
    "٦٠",
    "6 0",
    "60,60",
  ),
  fc.integer({ min: -100, max: 30_000 }).map(String),
);
const hosts = fc.constantFrom<string | undefined>(
  "127.0.0.1",
  "127.0.0.1:9911",
  "localhost",
  "LOCALHOST:80",
  "[::1]:1",
  "127.1.2.3",
  undefined,
  "",
  "evil.example",
  "127.0.0.1.evil.example",
  "localhost.evil.example",
  "[::1].evil",
);

/** `arbitrary` one time in `n`, else null: each hostile feature alone, mostly. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, n = 4) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/** Hostile requests: any method, path, headers, body, version. */
const hostileRequest: fc.Arbitrary<Generated> = fc
  .record({
    method: methods,
    path: paths,
    version: fc.oneof(
      { weight: 8, arbitrary: fc.constant("HTTP/1.1") },
      { weight: 1, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x", "", "HTTP/9.9") },
    ),
    host: hosts,
    secondHost: rarely(hosts, 8),
    authorization: rarely(
      fc.constantFrom(
        authorizationToken,
        `${authorizationToken} `,
        `Bearer ${authorizationToken}`,
        authorizationToken.slice(1),
        "wrong",
        "",
        "x".repeat(9_000),
        authorizationToken.toUpperCase(),
      ),
      2,
    ),
    secondAuthorization: rarely(fc.constantFrom(authorizationToken, "wrong"), 8),
    ttl: rarely(ttls, 2),
    imds: rarely(fc.constantFrom("valid", "forged", "huge", "expired", "empty"), 2),
    forwarded: rarely(fc.constant(true), 6),
    contentLength: rarely(fc.constantFrom("0", "5", "-1", "abc", "99999999999999999999", "1, 1", "5 "), 5),
    chunked: rarely(fc.constant(true), 8),
    expect: rarely(fc.constant(true), 8),
    extraHeaders: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 120 }) }),
    hugeHeader: rarely(fc.constantFrom(4_000, 9_000, 40_000), 8),
    badHeader: rarely(fc.constantFrom("X-Bad\u0000: 1", "No colon", "X-Ctl: a\u0001b", ": empty-name", "X-Space : 1", " X-Folded: 1"), 8),
    body: rarely(fc.constantFrom("hello", "x".repeat(70_000), "0\r\n\r\n"), 6),
  })
  .map((r) => {
    const lines = [`${r.method} ${r.path} ${r.version}`.trimEnd()];
    if (r.host !== undefined) lines.push(`Host: ${r.host}`);
    if (r.secondHost !== null && r.secondHost !== undefined) lines.push(`Host: ${r.secondHost}`);
    if (r.authorization !== null) lines.push(`Authorization: ${r.authorization}`);
    if (r.secondAuthorization !== null) lines.push(`Authorization: ${r.secondAuthorization}`);
    if (r.ttl !== null) lines.push(`X-aws-ec2-metadata-token-ttl-seconds: ${r.ttl}`);
    if (r.imds !== null) lines.push(`X-aws-ec2-metadata-token: ${imdsTokenOf(r.imds)}`);
    if (r.forwarded) lines.push("X-Forwarded-For: 203.0.113.9");
    if (r.contentLength !== null) lines.push(`Content-Length: ${r.contentLength}`);
    if (r.chunked) lines.push("Transfer-Encoding: chunked");
    if (r.expect) lines.push("Expect: 100-continue");
    for (let i = 0; i < r.extraHeaders; i++) lines.push(`X-Extra-${i}: ${i}`);
    if (r.hugeHeader !== null) lines.push(`X-Huge: ${"h".repeat(r.hugeHeader)}`);
    if (r.badHeader !== null) lines.push(r.badHeader);
    lines.push("Connection: close");
    return { bytes: `${lines.join("\r\n")}\r\n\r\n${r.body ?? ""}` };
  });

function imdsTokenOf(kind: string): string {
  if (kind === "valid") return imdsToken;
  if (kind === "forged") return `${Math.floor(Date.now() / 1000) + 3600}.${"A".repeat(43)}`;
  if (kind === "huge") return "t".repeat(10_000);
  if (kind === "expired") return `${Math.floor(Date.now() / 1000) - 10}.${imdsToken.split(".")[1]}`;
  return "";
}

/** Well-formed, authorised requests with harmless variations: they must get the credentials (or a token, or health). */
const authorisedRequest: fc.Arbitrary<Generated> = fc
  .record({
    kind: fc.constantFrom("container", "imds", "token", "healthz"),
    host: fc.constantFrom("127.0.0.1", "localhost:9911", "[::1]"),
    query: fc.constantFrom("", "?a=1", "?"),
    slashes: fc.constantFrom("/", "//"),
    headerCase: fc.constantFrom("lower", "upper", "mixed"),
    extra: fc.uniqueArray(fc.constantFrom("Accept: */*", "User-Agent: aws-sdk-js/3", "X-Amz-Date: 20260101T000000Z", "Content-Length: 0"), { maxLength: 3 }),
    ttl: fc.integer({ min: 1, max: 21_600 }).map(String),
  })
  .map((r) => {
    const name = (n: string) => (r.headerCase === "lower" ? n.toLowerCase() : r.headerCase === "upper" ? n.toUpperCase() : n);
    const path = {
      container: "credentials",
      imds: `${CREDENTIALS.slice(1)}/${ROLE_NAME}`,
      token: "latest/api/token",
      healthz: "healthz",
    }[r.kind];
    const method = r.kind === "token" ? "PUT" : "GET";
    const lines = [`${method} ${r.slashes}${path}${r.query} HTTP/1.1`, `${name("Host")}: ${r.host}`, ...r.extra];
    if (r.kind === "container") lines.push(`${name("Authorization")}: ${authorizationToken}`);
    if (r.kind === "imds") lines.push(`${name("X-aws-ec2-metadata-token")}: ${imdsToken}`);
    if (r.kind === "token") lines.push(`${name("X-aws-ec2-metadata-token-ttl-seconds")}: ${r.ttl}`);
    lines.push("Connection: close");
    return { bytes: `${lines.join("\r\n")}\r\n\r\n`, authorised: r.kind as Generated["authorised"], ttl: r.ttl };
  });

/** Checks one exchange; returns the statuses seen. */
async function check(
  to: number,
  generated: Generated,
  secrets: () => Promise<{ secretAccessKey: string; sessionToken: string; accessKeyId: string }>,
): Promise<number[]> {
  const { responses, raw } = await exchange(to, generated.bytes);
  assert.ok(responses.length >= 1, `an answer to ${JSON.stringify(generated.bytes.slice(0, 200))}`);
  const current = await secrets();
  const text = raw.toString("latin1");
  for (const response of responses) {
    assert.ok(STATUSES.has(response.status), `status ${response.status} for ${JSON.stringify(generated.bytes.slice(0, 200))}`);
    assert.ok(!response.headers.some(([name]) => name.startsWith("access-control-")), "no CORS headers");
  }
  assert.ok(!text.includes(authorizationToken), "the container token is never echoed");
  const carriesSecret = text.includes(current.secretAccessKey) || text.includes(current.sessionToken);
  if (carriesSecret) {
    // Only an authorised credentials answer holds a secret.
    assert.ok(responses.length === 1 && responses[0]!.status === 200, "a secret only in a 200");
    assert.ok(generated.bytes.includes(authorizationToken) || generated.bytes.includes(imdsToken), "a secret only for a request that carried a valid token");
    const json = JSON.parse(responses[0]!.body);
    assert.equal(json.AccessKeyId, current.accessKeyId);
  }
  if (generated.authorised) {
    const [response] = responses;
    assert.equal(responses.length, 1);
    assert.equal(response!.status, 200, `${generated.authorised}: ${JSON.stringify(generated.bytes)} → ${response!.status} ${response!.body}`);
    if (generated.authorised === "container" || generated.authorised === "imds") {
      const json = JSON.parse(response!.body);
      assert.equal(json.AccessKeyId, current.accessKeyId);
      assert.equal(json.SecretAccessKey, current.secretAccessKey);
      assert.equal(json.Token, current.sessionToken);
      assert.match(json.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    } else if (generated.authorised === "token") {
      assert.match(response!.body, /^\d+\.[\w-]{43}$/);
      assert.equal(response!.headers.find(([n]) => n === "x-aws-ec2-metadata-token-ttl-seconds")?.[1], generated.ttl);
    } else {
      assert.equal(JSON.parse(response!.body).status, "ok");
    }
  }
  return responses.map((r) => r.status);
}

async function stillServes(to: number): Promise<void> {
  const { responses } = await exchange(to, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  assert.equal(responses[0]?.status, 200, "the server keeps serving");
}

const currentSecrets = async () => {
  const c = await session.getCredentials();
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
};

test("hostile and authorised requests over raw sockets: error statuses or correct answers, no secret leaks, the server keeps serving", {
  timeout: 60_000,
}, async () => {
  const statuses = new Map<number, number>();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: hostileRequest }, { weight: 1, arbitrary: authorisedRequest }), async (generated) => {
      runs++;
      for (const status of await check(port, generated, currentSecrets)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (runs % 10 === 0) await stillServes(port);
    }),
    { numRuns: 2_000 },
  );
  await stillServes(port);
  assert.ok(server.listening);
  // The generators must reach the interesting answers.
  for (const status of [200, 400, 401, 403, 404, 405, 413, 431])
    assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${JSON.stringify([...statuses])}`);
  assert.deepEqual(serverErrors, [], "no request made the handler fail");
});

test("token TTLs: a canonical 1–21600 gets a token for that TTL, anything not a number in range is a 400", { timeout: 30_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(ttls, async (ttl) => {
      const { responses } = await exchange(
        port,
        `PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: ${ttl}\r\nConnection: close\r\n\r\n`,
      );
      const [response] = responses;
      const value = ttl.trim();
      const canonical = /^[1-9]\d*$/.test(value) && Number(value) <= 21_600;
      const numeric = /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 21_600; // e.g. leading zeros: either answer is fine
      if (canonical) {
        assert.equal(response!.status, 200, `ttl ${JSON.stringify(ttl)}`);
        assert.equal(response!.headers.find(([n]) => n === "x-aws-ec2-metadata-token-ttl-seconds")?.[1], value);
        const expiresAt = Number(response!.body.split(".")[0]);
        assert.ok(Math.abs(expiresAt - (Date.now() / 1000 + Number(value))) < 5, "the token expires after the TTL");
      } else if (numeric) {
        assert.ok(response!.status === 200 || response!.status === 400, `ttl ${JSON.stringify(ttl)}`);
      } else {
        assert.equal(response!.status, 400, `ttl ${JSON.stringify(ttl)} must be refused, got ${response!.status} ${response!.body}`);
        assert.match(response!.body, /x-aws-ec2-metadata-token-ttl-seconds must be a whole number from 1 to 21600/);
      }
    }),
    { numRuns: 1_000 },
  );
});

test("oversized bodies, never-ending chunked bodies and header floods are refused at once; the server keeps serving", { timeout: 30_000 }, async () => {
  const head = (extra: string) => `GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorizationToken}\r\n${extra}`;
  // A megabyte body announced: 413 before it is read.
  const big = await exchange(port, `${head("Content-Length: 1048576\r\n\r\n")}${"x".repeat(1024 * 1024)}`);
  assert.equal(big.responses[0]?.status, 413);
  // A chunked body that never ends: 413, and the connection is closed by the server.
  const started = Date.now();
  const neverEnding = await new Promise<Response[]>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const feeder = setInterval(() => socket.writable && socket.write("5\r\nhello\r\n"), 5);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(feeder);
      try {
        resolve(parseResponses(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(head("Transfer-Encoding: chunked\r\n\r\n"));
    setTimeout(() => {
      clearInterval(feeder);
      socket.destroy(new Error("the server did not close a never-ending body within 5 s"));
    }, 5_000);
  });
  assert.equal(neverEnding[0]?.status, 413);
  assert.ok(Date.now() - started < 5_000);
  // Header sections over 8 KiB (Node counts names and values): 431; a hundred small headers: answered normally (up to 128 header lines; more is a 431).
  const flood = await exchange(port, `${head(Array.from({ length: 2_000 }, (_, i) => `X-${i}: ${i}\r\n`).join(""))}\r\n`);
  assert.equal(flood.responses[0]?.status, 431);
  const many = await exchange(port, `${head(Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}\r\n`).join(""))}Connection: close\r\n\r\n`);
  assert.ok([200, 401].includes(many.responses[0]!.status), `100 headers: ${many.responses[0]?.status}`);
  // Fifty connections that send half a request and wait: the server still answers others.
  const idle = Array.from({ length: 50 }, () => connect(port, "127.0.0.1").on("error", () => {}));
  for (const socket of idle) socket.write("GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  await stillServes(port);
  for (const socket of idle) socket.destroy();
});

test("the real program: certcreds serve answers generated requests the same way and keeps running", { timeout: 60_000 }, async () => {
  await requireBuild();
  let f: RolesAnywhereFixture | undefined;
  let served: Served | undefined;
  try {
    f = await createRolesAnywhereFixture();
    served = await startServe(f.args, { env: f.env });
    const cliPort = Number(new URL(served.imdsEndpoint).port);
    const token = readFileSync(served.tokenFile, "utf8");
    const put = await exchange(
      cliPort,
      "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n",
    );
    const cliImdsToken = put.responses[0]!.body;
    const cliSecrets = async () => {
      const { responses } = await exchange(cliPort, `GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token}\r\nConnection: close\r\n\r\n`);
      const json = JSON.parse(responses[0]!.body);
      return { accessKeyId: json.AccessKeyId, secretAccessKey: json.SecretAccessKey, sessionToken: json.Token };
    };
    // The generators' tokens and role are the in-process server's: swap in this server's.
    const retarget = (g: Generated): Generated => ({
      ...g,
      bytes: g.bytes
        .replaceAll(authorizationToken, token)
        .replaceAll(imdsToken, cliImdsToken)
        .replaceAll(`/${ROLE_NAME}`, `/${f!.ra.roleArn.split("/").at(-1)}`),
    });
    const samples = fc.sample(fc.oneof({ weight: 3, arbitrary: hostileRequest }, { weight: 1, arbitrary: authorisedRequest }), { numRuns: 120, seed: 42 });
    for (const generated of samples) {
      const target = retarget(generated);
      const { responses, raw } = await exchange(cliPort, target.bytes);
      assert.ok(responses.length >= 1);
      for (const response of responses) assert.ok(STATUSES.has(response.status), `status ${response.status}`);
      const text = raw.toString("latin1");
      assert.ok(!text.includes(token), "the container token is never echoed");
      const current = await cliSecrets();
      if (text.includes(current.secretAccessKey) || text.includes(current.sessionToken)) {
        assert.equal(responses[0]!.status, 200);
        assert.ok(target.bytes.includes(token) || target.bytes.includes(cliImdsToken));
      }
      if (target.authorised) assert.equal(responses[0]!.status, 200, `${target.authorised}: ${responses[0]!.body}`);
    }
    await stillServes(cliPort);
    assert.equal(served.cli.child.exitCode, null, "serve is still running");
    assert.doesNotMatch(served.cli.stderr(), /\n\s+at |TypeError|RangeError/, "no crash report on stderr");
  } finally {
    await served?.cli.stop();
    await f?.close();
  }
});
