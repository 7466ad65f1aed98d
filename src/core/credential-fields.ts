/**
 * What each credential field may hold. AWS access key ids are upper-case
 * letters and digits (20 today); secrets and tokens are printable ASCII
 * without white space. Anything else is not from AWS, and written into a
 * credentials file or an HTTP answer it could smuggle lines or headers in.
 */
const FIELD_RULES = {
  accessKeyId: { pattern: /^[A-Z0-9]{16,128}$/, max: 128, shape: "16–128 upper-case letters and digits" },
  secretAccessKey: { pattern: /^[\x21-\x7e]+$/, max: 256, shape: "printable ASCII without spaces, at most 256 characters" },
  sessionToken: { pattern: /^[\x21-\x7e]+$/, max: 16_384, shape: "printable ASCII without spaces, at most 16384 characters" },
} as const;

/** A credential field checked by {@link credentialFieldProblem}. */
export type CredentialField = keyof typeof FIELD_RULES;

/** Why a credential field is unusable, or undefined when it is fine. Never quotes the value (it may be a secret). */
export function credentialFieldProblem(field: CredentialField, value: unknown): string | undefined {
  const rule = FIELD_RULES[field];
  if (typeof value !== "string" || value === "") return `has no ${field}`;
  if (value.length > rule.max || !rule.pattern.test(value)) return `has a malformed ${field} (${value.length} characters; expected ${rule.shape})`;
  return undefined;
}
