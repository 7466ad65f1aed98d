import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setProfileKeys } from "../../../src/surfaces/credentials-file/credentials-file.js";

const KEYS = { aws_access_key_id: "AKNEW", aws_secret_access_key: "SECRETNEW", aws_session_token: "TOKENNEW" };

describe("setProfileKeys: only the profile's three keys change", () => {
  test("replaces values in place, keeping comments, spacing, other keys and other profiles", () => {
    const text = [
      "# my credentials",
      "[default]",
      "aws_access_key_id=AKOLD",
      "aws_secret_access_key   =   OLD ; not a comment in values",
      "region = eu-west-1",
      "AWS_SESSION_TOKEN = OLDTOKEN",
      "",
      "[other]",
      "aws_access_key_id = KEEP",
      "aws_secret_access_key = KEEP",
      "",
    ].join("\n");
    assert.equal(
      setProfileKeys(text, "default", KEYS),
      [
        "# my credentials",
        "[default]",
        "aws_access_key_id=AKNEW",
        "aws_secret_access_key   =   SECRETNEW",
        "region = eu-west-1",
        "aws_session_token = TOKENNEW",
        "",
        "[other]",
        "aws_access_key_id = KEEP",
        "aws_secret_access_key = KEEP",
        "",
      ].join("\n"),
    );
  });

  test("adds missing keys after the profile's last entry, with the file's line endings", () => {
    const text = "[a]\r\nx = 1\r\n\r\n[device]\r\naws_access_key_id = OLD\r\n; trailing comment\r\n\r\n[z]\r\ny = 2\r\n";
    assert.equal(
      setProfileKeys(text, "device", KEYS),
      "[a]\r\nx = 1\r\n\r\n[device]\r\naws_access_key_id = AKNEW\r\naws_secret_access_key = SECRETNEW\r\naws_session_token = TOKENNEW\r\n; trailing comment\r\n\r\n[z]\r\ny = 2\r\n",
    );
  });

  test("appends a missing profile; works on an empty file and on a file without a final newline", () => {
    assert.equal(setProfileKeys("", "p", KEYS), "[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n");
    assert.equal(
      setProfileKeys("[a]\nx = 1", "p", KEYS),
      "[a]\nx = 1\n\n[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
    assert.equal(
      setProfileKeys("[p]\nregion = us-east-1", "p", KEYS),
      "[p]\nregion = us-east-1\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
    assert.equal(setProfileKeys("[p]\n", "p", KEYS), "[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n");
  });

  test("drops an old multi-line value's continuation lines; `[ p ]` is not `[p]`, as the SDKs read it", () => {
    const text = "[p]\naws_session_token =\n    part1\n    part2\nregion = x\n";
    assert.equal(
      setProfileKeys(text, "p", KEYS),
      "[p]\naws_session_token =TOKENNEW\nregion = x\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\n",
    );
    const spaced = "[ p ]\naws_session_token =\n    part1\n    part2\nregion = x\n";
    assert.equal(
      setProfileKeys(spaced, "p", KEYS),
      "[ p ]\naws_session_token =\n    part1\n    part2\nregion = x\n\n[p]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n",
    );
  });

  test("a profile named like another's prefix is not confused with it", () => {
    const text = "[dev]\naws_access_key_id = DEV\n[development]\naws_access_key_id = KEEP\n";
    assert.equal(
      setProfileKeys(text, "dev", KEYS),
      "[dev]\naws_access_key_id = AKNEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n[development]\naws_access_key_id = KEEP\n",
    );
  });
});
