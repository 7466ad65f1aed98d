import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigurationError } from "../../../src/core/errors.js";
import { KeyObjectSigner } from "../../../src/identity/signer.js";
import { parseIotEndpoint, regionFromIotEndpoint } from "../../../src/mechanisms/iot/endpoint.js";
import { IotCredentialSession, type IotSessionInit } from "../../../src/surfaces/sdk/iot.js";
import { createTestCertificateAuthority } from "../../../testing/index.js";

const ENDPOINT = "c2abcdefgh1234.credentials.iot.eu-west-1.amazonaws.com";
const base: IotSessionInit = {
  endpoint: ENDPOINT,
  roleAlias: "device-role-alias",
  thingName: "thermostat-0042",
  certificate: "/nonexistent/thing.cert.pem",
  privateKey: "/nonexistent/thing.key",
};

function refused(init: unknown, option: string, message: RegExp): void {
  assert.throws(
    () => new IotCredentialSession(init as IotSessionInit),
    (error: unknown) => error instanceof ConfigurationError && error.option === option && message.test(error.message),
  );
}

describe("endpoint", () => {
  test("host, host:port or https URL (string or URL object)", () => {
    assert.equal(parseIotEndpoint(ENDPOINT).href, `https://${ENDPOINT}/`);
    assert.equal(parseIotEndpoint(`${ENDPOINT}:8443`).href, `https://${ENDPOINT}:8443/`);
    assert.equal(parseIotEndpoint(`https://${ENDPOINT}/`).host, ENDPOINT);
    assert.equal(parseIotEndpoint(new URL(`https://${ENDPOINT}:443`)).host, ENDPOINT);
    assert.equal(parseIotEndpoint("127.0.0.1:8443").host, "127.0.0.1:8443");
  });

  test("the region is read from the credential provider's host name", () => {
    assert.equal(regionFromIotEndpoint(ENDPOINT), "eu-west-1");
    assert.equal(regionFromIotEndpoint("abc123.credentials.iot.us-gov-west-1.amazonaws.com"), "us-gov-west-1");
    assert.equal(regionFromIotEndpoint("abc123.credentials.iot.cn-north-1.amazonaws.com.cn"), "cn-north-1");
    assert.equal(regionFromIotEndpoint("credentials.iot-fips.us-east-1.amazonaws.com"), "us-east-1");
    assert.equal(regionFromIotEndpoint("127.0.0.1"), undefined);
    assert.equal(regionFromIotEndpoint("abc123-ats.iot.us-east-1.amazonaws.com"), undefined, "the data endpoint is not the credential provider");
  });

  test("a session's default region is the endpoint's; region overrides it", () => {
    assert.equal(new IotCredentialSession(base).clientConfig().region, "eu-west-1");
    assert.equal(new IotCredentialSession({ ...base, region: "us-east-2" }).clientConfig().region, "us-east-2");
    assert.equal(new IotCredentialSession(base).clientConfig({ region: "ap-northeast-1" }).region, "ap-northeast-1");
  });

  test("bad endpoints are refused with the fix", () => {
    refused({ ...base, endpoint: undefined }, "endpoint", /endpoint is required.*describe-endpoint --endpoint-type iot:CredentialProvider/);
    refused({ ...base, endpoint: `http://${ENDPOINT}` }, "endpoint", /only reachable over HTTPS/);
    refused({ ...base, endpoint: `https://${ENDPOINT}/role-aliases/x/credentials` }, "endpoint", /just a host \(and port\)/);
    refused({ ...base, endpoint: "https://exa mple.com" }, "endpoint", /neither a host name/);
  });
});

describe("options are checked at construction, before any I/O", () => {
  test("nothing is read or fetched: missing files only fail at the first use", () => {
    const session = new IotCredentialSession(base);
    assert.equal(session.fetchCount, 0);
    assert.equal(session.endpoint.host, ENDPOINT);
  });

  test("roleAlias, thingName, region, timeoutMs, verifyPeer, logLevel, certificate", () => {
    refused({ ...base, roleAlias: undefined }, "roleAlias", /roleAlias is required.*list-role-aliases/);
    refused({ ...base, roleAlias: "alias/with/slashes" }, "roleAlias", /is not a role alias name/);
    refused({ ...base, thingName: undefined }, "thingName", /thingName is required/);
    refused({ ...base, thingName: "thing name with spaces" }, "thingName", /is not a thing name/);
    refused({ ...base, region: "moon-1" }, "region", /not an AWS region name/);
    refused({ ...base, timeoutMs: 0 }, "timeoutMs", /positive number/);
    refused({ ...base, verifyPeer: "no" }, "verifyPeer", /true or false/);
    refused({ ...base, logLevel: "verbose" }, "logLevel", /none, error, warn, info, debug, trace/);
    refused({ ...base, certificate: undefined }, "certificate", /certificate is required/);
  });

  test("a key reachable only through a signer (PKCS#11) is refused for IoT, for now", async () => {
    const ca = await createTestCertificateAuthority();
    const thing = await ca.issue({ commonName: "hsm-thing" });
    refused(
      { ...base, certificate: thing.certificatePem, privateKey: undefined, signer: new KeyObjectSigner(thing.privateKey!) },
      "signer",
      /mutual TLS, which needs the private key in this process: pass privateKey.*not supported for IoT yet/,
    );
  });
});
