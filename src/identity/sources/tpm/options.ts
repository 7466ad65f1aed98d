import { hex } from "./constants.js";
import { TpmError } from "./errors.js";

/**
 * Which TPM, and the key's password, for a TPM 2.0 key: a TSS2 key file
 * (`-----BEGIN TSS2 PRIVATE KEY-----`) or a persistent key
 * (`handle:0x81000002`) given as `privateKey`.
 */
export interface TpmOptions {
  /**
   * The TPM: a character device (`/dev/tpmrm0`, the kernel's resource
   * manager, or the raw `/dev/tpm0`), or `swtpm:host=H,port=P` for a TPM
   * simulator over TCP (the TCTI syntax of tpm2-tools). Default: the
   * `TPM_DEVICE` environment variable (as AWS's helper reads it), else
   * `/dev/tpmrm0`. CLI: `--tpm-device`.
   */
  device?: string;
  /**
   * The key's password (its authValue). `""`: the key has none (CLI
   * `--no-tpm-key-password`). Omitted: a key file's `emptyAuth` says
   * whether one is needed; a key that needs one (and any `handle:` key) is
   * asked for it on a terminal, else refused before the TPM is asked. A
   * wrong password is never sent twice: each counts towards the TPM's
   * dictionary-attack lockout. Never logged. CLI: `--tpm-key-password`.
   */
  keyPassword?: string;
  /**
   * Keep the key loaded between refreshes instead of loading, signing and
   * flushing it each time. Default: only behind a resource manager
   * (`/dev/tpmrm*`), which frees it if the process dies. On a raw TPM or a
   * simulator a kept key holds one of its few object slots until the
   * session closes, and is checked by name before each use.
   */
  keepLoaded?: boolean;
}

/** The device when neither `tpm.device` nor `TPM_DEVICE` names one. */
export const DEFAULT_TPM_DEVICE = "/dev/tpmrm0";
/** The environment variable AWS's helper reads for the device. */
export const TPM_DEVICE_VARIABLE = "TPM_DEVICE";
/** The prefix of a persistent key, as AWS's helper writes it. */
export const HANDLE_PREFIX = "handle:";

/** Whether a key input names a persistent key (`handle:…`). */
export function isHandleReference(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(HANDLE_PREFIX);
}

/** The handle of `handle:0x81xxxxxx`; throws TpmError `option` naming the fix. */
export function parseHandle(value: string, option = "privateKey"): number {
  const text = value.slice(HANDLE_PREFIX.length).trim();
  const match = /^(?:0x)?([0-9a-fA-F]{1,8})$/.exec(text);
  const handle = match ? Number.parseInt(match[1]!, 16) >>> 0 : undefined;
  if (handle === undefined || handle >>> 24 !== 0x81) {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    const why = handle === undefined ? "is not handle: followed by a hexadecimal handle" : `names ${hex(handle)}, which is not a persistent handle`;
    throw new TpmError("option", option, `${option} ${shown} ${why}: pass a persistent key as handle:0x81000001 (tpm2_getcap handles-persistent lists them).`);
  }
  return handle;
}

/** The TPM a source uses: `tpm.device`, else `TPM_DEVICE`, else /dev/tpmrm0. */
export function deviceOf(options: TpmOptions | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = options?.device;
  if (given !== undefined && given !== "") return given;
  const fromEnvironment = env[TPM_DEVICE_VARIABLE];
  return fromEnvironment !== undefined && fromEnvironment !== "" ? fromEnvironment : DEFAULT_TPM_DEVICE;
}

/** Checks the shape of the `tpm` option (no I/O); throws TpmError `option`. */
export function checkTpmOptions(options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TpmError("option", "tpm", "tpm must be an object: { device?, keyPassword?, keepLoaded? }.");
  }
  const { device, keyPassword, keepLoaded, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new TpmError("option", "tpm", `tpm has no option ${JSON.stringify(unknown[0]!.slice(0, 40))}: it takes device, keyPassword and keepLoaded.`);
  if (device !== undefined && typeof device !== "string")
    throw new TpmError("option", "tpm.device", "tpm.device must be a string: a device path or swtpm:host=H,port=P.");
  if (keyPassword !== undefined && typeof keyPassword !== "string")
    throw new TpmError("option", "tpm.keyPassword", 'tpm.keyPassword must be a string ("" for a key without a password).');
  if (keepLoaded !== undefined && typeof keepLoaded !== "boolean") throw new TpmError("option", "tpm.keepLoaded", "tpm.keepLoaded must be true or false.");
}
