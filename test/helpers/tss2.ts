/**
 * TSS2 key files written here from a key's TPM2B_PUBLIC and TPM2B_PRIVATE
 * (as tpm2_create writes them), with the fields a test needs: a parent, an
 * emptyAuth, a policy, another key type. Built with the test PKI's DER
 * writer, independent of the parser under test.
 */
import { boolean, explicit, integer, octetString, oid, sequence, utf8String } from "../../testing/pki/der.js";

export interface Tss2Fields {
  publicBytes: Buffer;
  privateBytes: Buffer;
  parent?: number;
  emptyAuth?: boolean;
  /** The key type OID: 2.23.133.10.1.3 loadable (default), .4 importable, .5 sealed. */
  type?: string;
  /** A [1] policy field with one (made-up) TPMPolicy. */
  policy?: boolean;
  description?: string;
}

export function tss2Der(fields: Tss2Fields): Buffer {
  return sequence(
    oid(fields.type ?? "2.23.133.10.1.3"),
    ...(fields.emptyAuth !== undefined ? [explicit(0, boolean(fields.emptyAuth))] : []),
    ...(fields.policy ? [explicit(1, sequence(sequence(explicit(0, integer(0x16b)), explicit(1, octetString(Buffer.alloc(4))))))] : []),
    ...(fields.description !== undefined ? [explicit(4, utf8String(fields.description))] : []),
    integer(fields.parent ?? 0x40000001),
    octetString(fields.publicBytes),
    octetString(fields.privateBytes),
  );
}

export function tss2Pem(fields: Tss2Fields): string {
  const body = tss2Der(fields)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN TSS2 PRIVATE KEY-----\n${body}\n-----END TSS2 PRIVATE KEY-----\n`;
}
