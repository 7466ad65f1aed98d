/**
 * Profiles of the AWS config file: which section is the profile, what is
 * rewritten, what stays byte for byte — and that botocore reads the result
 * as meant.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { awsConfigFile, PROFILE_NAME, profileSection, setConfigProfile } from "../../../src/cli/aws-config/config-file.js";
import { pythonsWithBoto3 } from "../../helpers/cli.js";

const set = (text: string, name: string, values: Record<string, string>) => setConfigProfile(Buffer.from(text, "latin1"), name, values).toString("latin1");

describe("profileSection: the section the SDKs read as the profile", () => {
  test("[profile NAME] with any spacing or quotes; [default] and [profile default] for default", () => {
    const device = profileSection("device");
    assert.equal(device.header, "profile device");
    for (const name of ["profile device", "profile  device", " profile device ", 'profile "device"', "profile\tdevice"]) assert.ok(device.matches(name), name);
    for (const name of ["device", "profile device2", "profile", "sso-session device", "profile device x"]) assert.ok(!device.matches(name), name);
    const fallback = profileSection("default");
    assert.equal(fallback.header, "default");
    assert.ok(fallback.matches("default") && fallback.matches("profile default"));
    assert.ok(!device.matches("default"));
  });

  test("profile names: the characters the SDK for JavaScript accepts in [profile NAME]", () => {
    for (const name of ["device", "my-device_01", "team@prod", "a.b+c%d:e/f"]) assert.match(name, PROFILE_NAME);
    for (const name of ["", "two words", "a]b", "x#y", "q'uote", "ü", "a".repeat(129)]) assert.doesNotMatch(name, PROFILE_NAME);
  });

  test("AWS_CONFIG_FILE, ~ expanded, else ~/.aws/config", () => {
    assert.equal(awsConfigFile({ AWS_CONFIG_FILE: "/etc/aws/config" }), "/etc/aws/config");
    assert.match(awsConfigFile({ AWS_CONFIG_FILE: "~/custom" }), /^\/.*\/custom$/);
    assert.match(awsConfigFile({}), /\/\.aws\/config$/);
  });
});

describe("setConfigProfile: only the profile's keys change", () => {
  const original = [
    "# my AWS config",
    "[default]",
    "region = eu-west-1",
    "",
    "[profile device]",
    "region=us-west-2 ; kept",
    "credential_process = old-helper --flag",
    "  continued old value",
    "output = json",
    "",
    "[sso-session corp]",
    "sso_region = us-east-1",
    "",
  ].join("\r\n");

  test("rewrites credential_process and region in place, keeping every other byte and the CRLF endings", () => {
    const updated = set(original, "device", { credential_process: "/usr/bin/node /x/certcreds.js credential-process", region: "us-east-1" });
    assert.equal(
      updated,
      [
        "# my AWS config",
        "[default]",
        "region = eu-west-1",
        "",
        "[profile device]",
        "region=us-east-1",
        "credential_process = /usr/bin/node /x/certcreds.js credential-process",
        "output = json",
        "",
        "[sso-session corp]",
        "sso_region = us-east-1",
        "",
      ].join("\r\n"),
    );
    assert.equal(
      set(updated, "device", { credential_process: "/usr/bin/node /x/certcreds.js credential-process", region: "us-east-1" }),
      updated,
      "a rerun changes nothing",
    );
  });

  test("a new profile is appended as [profile NAME]; default as [default]", () => {
    assert.equal(
      set("[default]\nregion = eu-west-1\n", "thing", { credential_process: "c" }),
      "[default]\nregion = eu-west-1\n\n[profile thing]\ncredential_process = c\n",
    );
    assert.equal(set("", "default", { credential_process: "c", region: "us-east-1" }), "[default]\ncredential_process = c\nregion = us-east-1\n");
    assert.equal(set("[profile default]\nx = 1\n", "default", { credential_process: "c" }), "[profile default]\nx = 1\ncredential_process = c\n");
  });

  test("a path in UTF-8 is written as UTF-8; other bytes (Latin-1, a BOM) stay as they were", () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("# caf\xe9\n[profile device]\n", "latin1")]);
    const out = setConfigProfile(bytes, "device", { credential_process: "node /home/jörg/certcreds.js" });
    assert.deepEqual(out.subarray(0, 27), bytes.subarray(0, 27));
    assert.ok(out.includes(Buffer.from("credential_process = node /home/jörg/certcreds.js\n", "utf8")));
  });

  const python = pythonsWithBoto3()[0];
  test("botocore reads the written file: the profile's values, the others untouched", { skip: python ? false : "no python3 with boto3" }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "certcreds-config-"));
    try {
      const file = join(dir, "config");
      await writeFile(
        file,
        set(original, "device", { credential_process: "'/opt/my node/node' /x/certcreds.js credential-process --certificate '/a b/c.pem'" }),
      );
      const script =
        "import json, sys, botocore.configloader as c; p = c.load_config(sys.argv[1])['profiles']; print(json.dumps({k: p[k] for k in ('default', 'device')}))";
      const profiles = JSON.parse(execFileSync(python!, ["-c", script, file], { encoding: "utf8" }));
      assert.deepEqual(profiles.default, { region: "eu-west-1" });
      assert.equal(profiles.device.credential_process, "'/opt/my node/node' /x/certcreds.js credential-process --certificate '/a b/c.pem'");
      assert.equal(profiles.device.output, "json");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
