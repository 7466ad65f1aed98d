import type { Identity, IdentityInit } from "./identity-init.js";
import type { OpenedIdentity } from "./open-identity.js";

export type { Identity, IdentityInit } from "./identity-init.js";

/**
 * Identities opened through {@link loadIdentity}, kept until
 * {@link releaseIdentity}: the public functions predate {@link openIdentity},
 * whose owner closes what it opened. Sessions and providers do not use them.
 */
const opened = new WeakMap<object, OpenedIdentity>();

/**
 * Reads and checks certificate, chain and key before any network call; each
 * failure gets its own typed error that names the input. A PKCS#11 session
 * opened for `init` stays open until {@link releaseIdentity}.
 */
export async function loadIdentity(init: IdentityInit, now: Date): Promise<Identity> {
  let identity = opened.get(init);
  if (!identity) {
    // The reading and checking code loads with the first identity, not with certcreds.
    const { openIdentity } = await import("./open-identity.js");
    identity = opened.get(init);
    if (!identity) {
      identity = openIdentity(init, { logger: (init as { logger?: import("../core/logger.js").Logger }).logger });
      opened.set(init, identity);
    }
  }
  return identity.load(now);
}

/** Releases what {@link loadIdentity} keeps open for an init (the PKCS#11 session). */
export async function releaseIdentity(init: IdentityInit): Promise<void> {
  const identity = opened.get(init);
  opened.delete(init);
  await identity?.close();
}
