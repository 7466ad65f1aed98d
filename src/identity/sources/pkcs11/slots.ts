import type { Handle, Pkcs11Module } from "./binding.js";
import type { TokenSelector } from "./config.js";
import { Pkcs11Error, returnValueOf } from "./errors.js";

const CKF_TOKEN_INITIALIZED = 0x400;

/** A token found in a slot, with its blank padding trimmed. */
export interface FoundToken {
  slot: Handle;
  slotId: number;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  flags: number;
  /** `"t1" (slot 17, serial 9a…)`, for messages. */
  name: string;
}

/** The numeric slot id of a pkcs11js handle (a little-endian CK_ULONG). */
export function slotNumber(handle: Handle): number {
  return handle.length >= 8 ? Number(handle.readBigUInt64LE(0)) : handle.readUInt32LE(0);
}

/** Every slot with a token present. */
export function listTokens(module: Pkcs11Module): FoundToken[] {
  return module.C_GetSlotList(true).map((slot) => {
    const info = module.C_GetTokenInfo(slot);
    const label = info.label.trim();
    const serial = info.serialNumber.trim();
    const slotId = slotNumber(slot);
    return {
      slot,
      slotId,
      label,
      serial,
      manufacturer: info.manufacturerID.trim(),
      model: info.model.trim(),
      flags: info.flags,
      name: info.flags & CKF_TOKEN_INITIALIZED ? `"${label}" (slot ${slotId}${serial ? `, serial ${serial}` : ""})` : `(uninitialised token in slot ${slotId})`,
    };
  });
}

function matches(token: FoundToken, selector: TokenSelector): boolean {
  return (
    (selector.slotId === undefined || token.slotId === selector.slotId) &&
    (selector.label === undefined || token.label === selector.label) &&
    (selector.serial === undefined || token.serial === selector.serial) &&
    (selector.manufacturer === undefined || token.manufacturer === selector.manufacturer) &&
    (selector.model === undefined || token.model === selector.model)
  );
}

function describeSelector(selector: TokenSelector): string {
  const parts = [
    selector.slotId !== undefined ? `slot ${selector.slotId}` : "",
    selector.label !== undefined ? `label "${selector.label}"` : "",
    selector.serial !== undefined ? `serial ${selector.serial}` : "",
    selector.manufacturer !== undefined ? `manufacturer "${selector.manufacturer}"` : "",
    selector.model !== undefined ? `model "${selector.model}"` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "any initialised token";
}

/**
 * The one token the selector designates. Uninitialised tokens and
 * p11-kit's trust stores (certificates only, never keys) are left out
 * unless named. Errors list what was found so the fix is one edit away.
 */
export function selectToken(module: Pkcs11Module, selector: TokenSelector, option: string, library: string, optionIsUri: boolean): FoundToken {
  let tokens: FoundToken[];
  try {
    tokens = listTokens(module);
  } catch (cause) {
    throw new Pkcs11Error(
      "token",
      option,
      `Listing the slots of ${library} failed (${returnValueOf(cause) ?? (cause as Error).message}).`,
      returnValueOf(cause),
      { cause },
    );
  }
  const named = Object.keys(selector).length > 0;
  const usable = tokens.filter((t) => named || ((t.flags & CKF_TOKEN_INITIALIZED) !== 0 && t.model !== "p11-kit-trust"));
  const found = usable.filter((t) => matches(t, selector));
  const listing = tokens.length ? tokens.map((t) => t.name).join(", ") : "none";
  const fixSlot = optionIsUri ? `token=<label> or slot-id=<number> in the ${option} URI` : "pkcs11.tokenLabel or pkcs11.slotId";
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new Pkcs11Error(
      "token-not-found",
      option,
      `No token of ${library} matches ${describeSelector(selector)}. Tokens found: ${listing}. ${
        tokens.length ? `Set ${fixSlot} to one of them.` : "Insert the token, or initialise one (softhsm2-util --init-token), and check the library."
      }`,
    );
  }
  throw new Pkcs11Error(
    "token-not-found",
    option,
    `${found.length} tokens of ${library} match ${describeSelector(selector)}: ${found.map((t) => t.name).join(", ")}. Set ${fixSlot} to choose one.`,
  );
}
