/**
 * The setup guides make a private CA and device certificates with openssl
 * (those blocks run for real), then register them with AWS (blocks that
 * need an account, only checked). Their last step — getting credentials
 * with the files the guide made — is an `emulated` block: the test starts
 * emulators that trust exactly the guide's CA, knows the thing and role
 * alias the guide created, and gives the block the values the AWS steps
 * would have produced (the shell variables the guide names), so the
 * openssl output is proven to work the way AWS will check it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startIotCredentialEmulator, startRolesAnywhereEmulator } from "../../testing/index.js";
import type { DocsWorld } from "./docs-world.js";

export interface Emulated {
  env: Record<string, string>;
  close(): Promise<void>;
}

function read(cwd: string, name: string, guide: string): string {
  try {
    return readFileSync(join(cwd, name), "utf8");
  } catch {
    throw new Error(`${guide}: the openssl steps should have made ${name} in the working directory, but it is not there`);
  }
}

/** Every JSON file the guide's blocks wrote parses; returns them by name. */
function jsonFiles(cwd: string, guide: string): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const name of readdirSync(cwd).filter((n) => n.endsWith(".json"))) {
    try {
      files[name] = JSON.parse(readFileSync(join(cwd, name), "utf8"));
    } catch (error) {
      throw new Error(`${guide}: ${name}, written by the guide, is not valid JSON: ${(error as Error).message}`);
    }
  }
  return files;
}

/** The policy statements of a document the guide wrote. */
function statements(files: Record<string, unknown>, name: string, guide: string): Record<string, unknown>[] {
  const document = files[name] as { Statement?: Record<string, unknown>[] } | undefined;
  assert.ok(document?.Statement, `${guide}: ${name} should be a policy document with a Statement list`);
  return document.Statement;
}

const actions = (statement: Record<string, unknown>) => [statement.Action].flat() as string[];

/** Emulators made from the files a guide's earlier blocks wrote into `cwd`. */
export async function emulateGuide(file: string, cwd: string, world: DocsWorld): Promise<Emulated> {
  const files = jsonFiles(cwd, file);
  if (file === "docs/setup-roles-anywhere.md") {
    const [trust] = statements(files, "trust-policy.json", file);
    assert.deepEqual(trust!.Principal, { Service: "rolesanywhere.amazonaws.com" });
    assert.deepEqual(actions(trust!).sort(), ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
    const source = files["trust-anchor-source.json"] as { sourceData?: { x509CertificateData?: string } };
    assert.equal(source.sourceData?.x509CertificateData, read(cwd, "ca.pem", file), "the trust anchor source holds ca.pem");
    const roleArn = "arn:aws:iam::123456789012:role/device-role";
    const ra = await startRolesAnywhereEmulator({
      trustAnchors: [{ certificates: [read(cwd, "ca.pem", file)] }],
      profiles: [{ roleArns: [roleArn] }],
      issued: world.issued,
    });
    return {
      env: { TRUST_ANCHOR_ARN: ra.trustAnchorArn, PROFILE_ARN: ra.profileArn, ROLE_ARN: roleArn, CERTCREDS_ENDPOINT: ra.url },
      close: () => ra.close(),
    };
  }
  if (file === "docs/setup-iot.md") {
    const [trust] = statements(files, "role-trust-policy.json", file);
    assert.deepEqual(trust!.Principal, { Service: "credentials.iot.amazonaws.com" });
    assert.deepEqual(actions(trust!), ["sts:AssumeRole"]);
    const [allow] = statements(files, "iot-policy.json", file);
    assert.deepEqual(actions(allow!), ["iot:AssumeRoleWithCertificate"]);
    assert.match(String(allow!.Resource), /^arn:aws:iot:[a-z0-9-]+:\d{12}:rolealias\/thermostat-role-alias$/);
    const iot = await startIotCredentialEmulator({
      // The world's endpoint certificate, so the block trusts it with the same CA file.
      serverCertificate: world.iotServer,
      registeredCas: [read(cwd, "ca.pem", file)],
      things: [{ name: "thermostat-0042", certificates: [read(cwd, "thermostat-0042.pem", file)] }],
      roleAliases: [{ alias: "thermostat-role-alias", roleArn: "arn:aws:iam::123456789012:role/thermostat-role" }],
      issued: world.issued,
    });
    return {
      env: { IOT_ENDPOINT: `localhost:${iot.port}`, CERTCREDS_CA_CERT: world.emulateEnv.CERTCREDS_IOT_CA_CERT! },
      close: () => iot.close(),
    };
  }
  throw new Error(`${file}: an "emulated" block is only understood in the setup guides`);
}
