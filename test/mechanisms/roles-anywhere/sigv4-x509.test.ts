import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { test } from "node:test";
import { KeyObjectSigner } from "../../../src/identity/signer.js";
import { amzDate, canonicalQuery, canonicalRequest, signRequest, stringToSign, uriEncode } from "../../../src/mechanisms/roles-anywhere/sigv4-x509.js";

// Expected values below were computed independently (Python hashlib) from the protocol text.
const BODY =
  '{"durationSeconds":3600,"profileArn":"arn:aws:rolesanywhere:us-east-1:123456789012:profile/p","roleArn":"arn:aws:iam::123456789012:role/r","trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/t"}';
const BODY_SHA256 = "f650f9d51af95a5dc131b51ee8084df85e6af8eb0bdd48ffa20e98ffbb5f238f";
const DATE = new Date("2026-11-22T10:15:00Z");
const EXPECTED_CANONICAL = [
  "POST",
  "/sessions",
  "",
  "content-type:application/json",
  "host:rolesanywhere.us-east-1.amazonaws.com",
  "x-amz-date:20261122T101500Z",
  "x-amz-x509:dGVzdC1jZXJ0",
  "x-amz-x509-chain:aW50LTE=,aW50LTI=",
  "",
  "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain",
  BODY_SHA256,
].join("\n");
const EXPECTED_STRING_TO_SIGN = [
  "AWS4-X509-ECDSA-SHA256",
  "20261122T101500Z",
  "20261122/us-east-1/rolesanywhere/aws4_request",
  "d6227363ed2c92d9d9524980a76d84265132ed42ff8411ef74f6ed18f78dfb87",
].join("\n");

test("amzDate formats the SigV4 timestamp", () => {
  assert.equal(amzDate(DATE), "20261122T101500Z");
});

test("known answer: canonical request and string to sign", () => {
  const headers = {
    "Content-Type": "application/json",
    Host: "rolesanywhere.us-east-1.amazonaws.com",
    "X-Amz-Date": "20261122T101500Z",
    "X-Amz-X509": "dGVzdC1jZXJ0",
    "X-Amz-X509-Chain": "aW50LTE=,aW50LTI=",
  };
  const canonical = canonicalRequest({ method: "POST", path: "/sessions", query: {}, headers, body: BODY });
  assert.equal(canonical, EXPECTED_CANONICAL);
  assert.equal(stringToSign("AWS4-X509-ECDSA-SHA256", DATE, "us-east-1", canonical), EXPECTED_STRING_TO_SIGN);
});

test("canonical query: RFC 3986 encoding, sorted, space as %20", () => {
  assert.equal(
    canonicalQuery({ b: "x y", a: "1/2", "a~": "*", roleArn: "arn:aws:iam::1:role/r" }),
    "a=1%2F2&a~=%2A&b=x%20y&roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr",
  );
  assert.equal(uriEncode("!'()*"), "%21%27%28%29%2A");
});

test("signRequest: the headers, the decimal serial and an RSA PKCS#1 v1.5 signature over the known string", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const identity = {
    certificateBase64: Buffer.from("test-cert").toString("base64"),
    chainBase64: [Buffer.from("int-1"), Buffer.from("int-2")].map((b) => b.toString("base64")).join(","),
    serialNumber: "123456789012345678901234567890",
    signer: new KeyObjectSigner(privateKey),
  };
  const headers = await signRequest(
    {
      method: "POST",
      path: "/sessions",
      query: {},
      headers: { "Content-Type": "application/json", Host: "rolesanywhere.us-east-1.amazonaws.com" },
      body: BODY,
    },
    identity,
    "us-east-1",
    DATE,
  );
  assert.equal(headers["X-Amz-X509"], "dGVzdC1jZXJ0");
  assert.equal(headers["X-Amz-X509-Chain"], "aW50LTE=,aW50LTI=");
  const match = /^AWS4-X509-RSA-SHA256 Credential=(\d+)\/20261122\/us-east-1\/rolesanywhere\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
    headers.Authorization!,
  );
  assert.ok(match, headers.Authorization);
  assert.equal(match[1], "123456789012345678901234567890");
  assert.equal(match[2], "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain");
  const toSign = EXPECTED_STRING_TO_SIGN.replace("ECDSA", "RSA");
  assert.ok(verify("sha256", Buffer.from(toSign), createPublicKey(privateKey), Buffer.from(match[3]!, "hex")));
});

test("ECDSA signatures are ASN.1 DER, lowercase hex", async () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const signer = new KeyObjectSigner(privateKey);
  assert.equal(signer.algorithm, "AWS4-X509-ECDSA-SHA256");
  const headers = await signRequest(
    { method: "POST", path: "/sessions", query: {}, headers: { Host: "h" }, body: "" },
    { certificateBase64: "Yw==", chainBase64: "", serialNumber: "1", signer },
    "eu-west-1",
    DATE,
  );
  assert.equal(headers["X-Amz-X509-Chain"], undefined);
  assert.match(headers.Authorization!, /SignedHeaders=host;x-amz-date;x-amz-x509, Signature=30[0-9a-f]+$/);
  const signature = Buffer.from(headers.Authorization!.split("Signature=")[1]!, "hex");
  assert.equal(signature[0], 0x30, "DER SEQUENCE");
});
