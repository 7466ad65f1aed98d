import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { ConfigurationError, CredentialsProviderError } from "../../../src/core/errors.js";
import { validateRolesAnywhereOptions } from "../../../src/mechanisms/roles-anywhere/options.js";

const ok = {
  trustAnchorArn: "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f2d0f0a-1111-2222-3333-444455556666",
  profileArn: "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/9a8b7c6d-1111-2222-3333-444455556666",
  roleArn: "arn:aws:iam::123456789012:role/device",
};

const envBackup = { ...process.env };
afterEach(() => {
  for (const key of ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"]) {
    if (envBackup[key] === undefined) delete process.env[key];
    else process.env[key] = envBackup[key];
  }
});

function rejects(init: object, option: string, pattern: RegExp) {
  assert.throws(
    () => validateRolesAnywhereOptions({ ...ok, ...init } as never),
    (e: unknown) =>
      e instanceof ConfigurationError && e.option === option && pattern.test(e.message) && e.tryNextLink === false && e instanceof CredentialsProviderError,
  );
}

test("region defaults to the trust anchor's and picks the regional endpoint", () => {
  const checked = validateRolesAnywhereOptions(ok);
  assert.equal(checked.region, "eu-west-1");
  assert.equal(checked.url.href, "https://rolesanywhere.eu-west-1.amazonaws.com/");
  assert.equal(checked.durationSeconds, 3600);
  assert.equal(checked.accountId, "123456789012");
});

test("FIPS and dual-stack endpoints, from options and from the environment", () => {
  assert.equal(validateRolesAnywhereOptions({ ...ok, useFipsEndpoint: true }).url.host, "rolesanywhere-fips.eu-west-1.amazonaws.com");
  assert.equal(validateRolesAnywhereOptions({ ...ok, useDualstackEndpoint: true }).url.host, "rolesanywhere.eu-west-1.api.aws");
  process.env.AWS_USE_FIPS_ENDPOINT = "true";
  process.env.AWS_USE_DUALSTACK_ENDPOINT = "true";
  assert.equal(validateRolesAnywhereOptions(ok).url.host, "rolesanywhere-fips.eu-west-1.api.aws");
  assert.equal(validateRolesAnywhereOptions({ ...ok, useFipsEndpoint: false }).url.host, "rolesanywhere.eu-west-1.api.aws");
  const cn = validateRolesAnywhereOptions({
    trustAnchorArn: "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/x",
    profileArn: "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:profile/y",
    roleArn: "arn:aws-cn:iam::123456789012:role/r",
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
  });
  assert.equal(cn.url.host, "rolesanywhere.cn-north-1.amazonaws.com.cn");
});

test("endpoint override accepts URLs, host names and http:// for emulators", () => {
  assert.equal(validateRolesAnywhereOptions({ ...ok, endpoint: "http://127.0.0.1:8080" }).url.href, "http://127.0.0.1:8080/");
  assert.equal(validateRolesAnywhereOptions({ ...ok, endpoint: "ra.example.com" }).url.href, "https://ra.example.com/");
  rejects({ endpoint: "ftp://x" }, "endpoint", /https/);
  rejects({ endpoint: "http://[bad" }, "endpoint", /not a URL/);
});

test("bad ARNs name the option and show the expected shape", () => {
  rejects({ trustAnchorArn: undefined }, "trustAnchorArn", /required.*trust-anchor/);
  rejects({ trustAnchorArn: "trust-anchor/123" }, "trustAnchorArn", /not a valid ARN.*arn:aws:rolesanywhere/);
  rejects({ profileArn: ok.trustAnchorArn }, "profileArn", /trust-anchor ARN, not a rolesanywhere profile ARN/);
  rejects({ roleArn: "arn:aws:iam::12345:role/x" }, "roleArn", /not a valid ARN/);
  rejects({ roleArn: "arn:aws:sts::123456789012:assumed-role/x/y" }, "roleArn", /iam role ARN/);
  rejects({ trustAnchorArn: "arn:aws:rolesanywhere:nowhere:123456789012:trust-anchor/x" }, "trustAnchorArn", /region/);
});

test("trust anchor and profile must share region and account; region option must agree", () => {
  rejects({ profileArn: ok.profileArn.replace("eu-west-1", "us-east-1") }, "profileArn", /same region/);
  rejects({ profileArn: ok.profileArn.replace("123456789012", "210987654321") }, "profileArn", /account/);
  rejects({ region: "us-east-1" }, "region", /trust anchor's region eu-west-1/);
  rejects({ region: "Europe" }, "region", /not an AWS region/);
});

test("durationSeconds and roleSessionName are range-checked", () => {
  for (const durationSeconds of [899, 43201, 1.5, Number.NaN]) rejects({ durationSeconds }, "durationSeconds", /900 to 43200/);
  assert.equal(validateRolesAnywhereOptions({ ...ok, durationSeconds: 43200 }).durationSeconds, 43200);
  rejects({ roleSessionName: "has space" }, "roleSessionName", /invalid/);
});

test("an AWS endpoint in another region than the trust anchor is refused before any call", async () => {
  const { checkRolesAnywhereOptions } = await import("../../../src/mechanisms/roles-anywhere/options.js");
  const { ConfigurationError } = await import("../../../src/index.js");
  const arns = {
    trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
    profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
    roleArn: "arn:aws:iam::123456789012:role/r",
  };
  assert.throws(
    () => checkRolesAnywhereOptions({ ...arns, endpoint: "https://rolesanywhere.eu-west-1.amazonaws.com" }),
    (error: unknown) =>
      error instanceof ConfigurationError && error.option === "endpoint" && /in eu-west-1, but the trust anchor is in us-east-1/.test(error.message),
  );
  for (const endpoint of [
    "https://rolesanywhere.us-east-1.amazonaws.com",
    "https://rolesanywhere-fips.us-east-1.amazonaws.com",
    "http://127.0.0.1:8080",
    "https://proxy.example.com",
  ]) {
    assert.equal(checkRolesAnywhereOptions({ ...arns, endpoint }).region, "us-east-1", endpoint);
  }
});
