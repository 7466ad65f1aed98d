import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Compares two secrets in constant time, whatever their lengths (both are hashed first). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * IMDSv2 session tokens without server-side state: `<expiry>.<HMAC>` under
 * a key made at start. Memory does not grow with the number of tokens
 * handed out, and a token is worthless after a restart.
 */
export class ImdsTokens {
  private readonly key = randomBytes(32);

  private mac(expiresAt: number): string {
    return createHmac("sha256", this.key).update(`imds-token:${expiresAt}`).digest("base64url");
  }

  /** A token valid for `ttlSeconds` from `now`. */
  issue(ttlSeconds: number, now = Date.now()): string {
    const expiresAt = Math.floor(now / 1000) + ttlSeconds;
    return `${expiresAt}.${this.mac(expiresAt)}`;
  }

  /** Whether a token was issued here and has not expired. */
  verify(token: string | undefined, now = Date.now()): boolean {
    if (!token || token.length > 128) return false;
    const dot = token.indexOf(".");
    const expiresAt = Number(token.slice(0, dot));
    if (dot < 0 || !Number.isSafeInteger(expiresAt)) return false;
    const valid = secretEquals(token.slice(dot + 1), this.mac(expiresAt));
    return valid && expiresAt * 1000 > now;
  }
}
