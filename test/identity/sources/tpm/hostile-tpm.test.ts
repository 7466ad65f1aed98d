/**
 * What answers as a TPM may be broken or hostile: every response is
 * bounded and checked, every wait has a deadline, and an object a failed
 * load may have left is flushed. Against a fake TPM (test/helpers/fake-tpm.ts)
 * that does what swtpm never does.
 */
import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { TpmError, type TpmErrorKind } from "../../../../src/index.js";
import { TpmSource } from "../../../../src/identity/sources/tpm/source.js";
import { type FakeTpm, startFakeTpm, type Tamper } from "../../../helpers/fake-tpm.js";

const DATA = Buffer.from("AWS4-X509-ECDSA-SHA256\n20260101T000000Z\n20260101/us-east-1/rolesanywhere/aws4_request\nabc");
const LOAD = 0x157;
const SIGN = 0x15d;
const CREATE_PRIMARY = 0x131;

describe("a hostile TPM", () => {
  let fake: FakeTpm;
  before(async () => {
    fake = await startFakeTpm("ec-p256");
    fake.expect(DATA);
  });
  after(async () => fake?.close());

  async function signOnce(tamper: FakeTpm["tamper"], options: { commandTimeoutMs?: number } = {}): Promise<Buffer | TpmError> {
    fake.tamper = tamper;
    const source = new TpmSource(
      { privateKey: fake.keyPem, tpm: { device: fake.device } },
      { commandTimeoutMs: options.commandTimeoutMs ?? 2000, connectTimeoutMs: 500 },
    );
    try {
      return Buffer.from(await (await source.key(undefined as never, { blocks: [], label: "" })).signer.sign(DATA));
    } catch (error) {
      assert.ok(error instanceof TpmError, `a TpmError, got ${error}`);
      return error;
    } finally {
      fake.tamper = undefined;
      await source.close();
    }
  }

  function expectError(outcome: Buffer | TpmError, kind: TpmErrorKind, pattern: RegExp): void {
    assert.ok(outcome instanceof TpmError, "the signature was refused");
    assert.equal(outcome.kind, kind, outcome.message);
    assert.match(outcome.message, pattern);
  }

  /** Tampers with the successful answers to one command. */
  const on = (code: number, change: (response: Buffer) => Tamper) => (response: Buffer, _index: number, commandCode: number) =>
    commandCode === code && response.readUInt32BE(6) === 0 ? change(response) : undefined;

  test("an honest answer signs, and everything loaded is flushed", async () => {
    const outcome = await signOnce(undefined);
    assert.ok(Buffer.isBuffer(outcome) && verify("sha256", DATA, fake.publicKey, outcome));
    assert.equal(fake.loaded.size, 0);
  });

  test("no answer: a time-out within the deadline, not a hang; what the broken connection left is flushed at the next one", async () => {
    const started = Date.now();
    expectError(
      await signOnce(
        on(SIGN, () => "silent"),
        { commandTimeoutMs: 300 },
      ),
      "timeout",
      /did not answer a command in time/,
    );
    assert.ok(Date.now() - started < 2000, "bounded by the command deadline");
    assert.equal(fake.loaded.size, 0, "the key loaded before the silence was found by its name and flushed");
  });

  test("an answer dripped slower than the deadline is cut off", async () => {
    const started = Date.now();
    expectError(
      await signOnce(
        on(SIGN, () => ({ dripMs: 100 })),
        { commandTimeoutMs: 400 },
      ),
      "timeout",
      /in time/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  test("a size field larger than any response, a frame longer than its size, a connection closed mid-answer", async () => {
    expectError(
      await signOnce(on(SIGN, (r) => Buffer.concat([r.subarray(0, 2), Buffer.from([0, 0x10, 0, 0]), r.subarray(6)]))),
      "response",
      /not TPM 2\.0 framing|closed the connection/,
    );
    expectError(await signOnce(on(SIGN, (r) => Buffer.concat([r, Buffer.alloc(8)]))), "response", /not TPM 2\.0 framing/);
    expectError(await signOnce(on(SIGN, () => "close")), "response", /closed the connection/);
  });

  test("a Load that names a persistent handle, or another name: refused, the primary and the key flushed", async () => {
    expectError(
      await signOnce(on(LOAD, (r) => Buffer.concat([r.subarray(0, 10), Buffer.from([0x81, 0, 0, 1]), r.subarray(14)]))),
      "response",
      /Load returned 0x81000001, not a transient handle/,
    );
    assert.equal(fake.loaded.size, 1, "the key the fake really loaded is its own business; the primary was flushed");
    fake.loaded.clear();
    expectError(
      await signOnce(on(LOAD, (r) => Buffer.concat([r.subarray(0, r.length - 6), Buffer.from([r[r.length - 6]! ^ 1]), r.subarray(r.length - 5)]))),
      "response",
      /another name/,
    );
    assert.equal(fake.loaded.size, 0, "the key loaded under a wrong name was flushed");
  });

  test("a CreatePrimary answer that does not parse: the primary it named is flushed", async () => {
    expectError(
      await signOnce(on(CREATE_PRIMARY, (r) => Buffer.concat([r.subarray(0, 14), Buffer.from([0xff, 0xff, 0xff, 0xff]), r.subarray(18)]))),
      "response",
      /malformed/,
    );
    assert.equal(fake.loaded.size, 0);
  });

  test("a signature that does not verify with the key is refused", async () => {
    expectError(
      await signOnce(on(SIGN, (r) => Buffer.concat([r.subarray(0, 24), Buffer.from([r[24]! ^ 0x40]), r.subarray(25)]))),
      "response",
      /does not verify with .* public key/,
    );
  });

  /** A Sign answer with these parameters and one password-session acknowledgement. */
  function signAnswer(parameters: Buffer): Buffer {
    const out = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(8), Buffer.alloc(4), parameters, Buffer.from([0, 0, 1, 0, 0])]);
    out.writeUInt32BE(out.length, 2);
    out.writeUInt32BE(parameters.length, 10);
    return out;
  }

  test("an answer of another scheme, or an r larger than the curve", async () => {
    expectError(
      await signOnce(on(SIGN, (r) => Buffer.concat([r.subarray(0, 14), Buffer.from([0x00, 0x14]), r.subarray(16)]))),
      "response",
      /scheme 0x14 where 0x18/,
    );
    const coordinate = (size: number) => Buffer.concat([Buffer.from([0, size]), Buffer.alloc(size, 7)]);
    expectError(
      await signOnce(on(SIGN, () => signAnswer(Buffer.concat([Buffer.from([0, 0x18, 0, 0x0b]), coordinate(33), coordinate(32)])))),
      "response",
      /larger than the curve/,
    );
  });

  test("bytes nobody asked for break the connection", async () => {
    expectError(await signOnce(on(LOAD, (r) => Buffer.concat([r, r]))), "response", /not TPM 2\.0 framing/);
  });
});
