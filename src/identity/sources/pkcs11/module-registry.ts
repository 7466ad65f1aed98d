import { CK, loadBinding, type Pkcs11Module } from "./binding.js";
import { Pkcs11Error, returnValueOf } from "./errors.js";

/**
 * One loaded PKCS#11 module per library path and process: `C_Initialize`
 * may be called only once per process, and every signer (and the IoT TLS
 * stack) on the same module shares its state.
 */
interface Entry {
  module: Pkcs11Module;
  users: number;
  /** Whether this process's C_Initialize succeeded (false when someone else initialised it first). */
  ownsInitialize: boolean;
}

const entries = new Map<string, Promise<Entry>>();

/** A use of a loaded module; `release()` finalises it when the last user is gone. */
export interface ModuleLease {
  readonly module: Pkcs11Module;
  readonly library: string;
  /** Calls C_Finalize and C_Initialize again (after CKR_CRYPTOKI_NOT_INITIALIZED). */
  reinitialize(): void;
  release(): void;
}

function describeLoadFailure(library: string, option: string, cause: unknown): Pkcs11Error {
  const message = (cause as Error)?.message ?? String(cause);
  const why = /no such file/i.test(message)
    ? "does not exist (or a library it needs is missing)"
    : /undefined symbol: C_GetFunctionList|C_GetFunctionList/i.test(message)
      ? "is a shared library but not a PKCS#11 module (it has no C_GetFunctionList)"
      : /invalid ELF header|wrong ELF class|not a dynamic executable|file too short|mach-o/i.test(message)
        ? "is not a shared library for this machine"
        : /permission denied/i.test(message)
          ? "is not readable by this user"
          : `could not be loaded (${message})`;
  return new Pkcs11Error(
    "library",
    option,
    `PKCS#11 library ${library} ${why}. Set ${option} to the module of your token, e.g. /usr/lib/softhsm/libsofthsm2.so (SoftHSM2) or /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so (smart cards).`,
    undefined,
    { cause },
  );
}

function initialize(module: Pkcs11Module): boolean {
  try {
    // The signer calls the module from libuv's worker threads: let it use OS locking.
    module.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
    return true;
  } catch (error) {
    if (returnValueOf(error) === "CKR_CRYPTOKI_ALREADY_INITIALIZED") return false;
    throw error;
  }
}

async function open(library: string, option: string): Promise<Entry> {
  const Pkcs11 = await loadBinding();
  const module = new Pkcs11();
  try {
    module.load(library);
  } catch (cause) {
    throw describeLoadFailure(library, option, cause);
  }
  try {
    return { module, users: 0, ownsInitialize: initialize(module) };
  } catch (cause) {
    module.close();
    throw new Pkcs11Error(
      "library",
      option,
      `PKCS#11 library ${library} failed to initialise (${returnValueOf(cause) ?? (cause as Error).message}). Check the module's own configuration (for SoftHSM2: SOFTHSM2_CONF and its token directory).`,
      returnValueOf(cause),
      { cause },
    );
  }
}

/** Loads (once) and initialises the module at `library`. `option` names the input for errors. */
export async function acquireModule(library: string, option: string): Promise<ModuleLease> {
  let pending = entries.get(library);
  if (!pending) {
    pending = open(library, option);
    entries.set(library, pending);
    pending.catch(() => entries.delete(library));
  }
  const entry = await pending;
  entry.users++;
  let released = false;
  return {
    module: entry.module,
    library,
    reinitialize() {
      try {
        entry.module.C_Finalize();
      } catch {
        // Already finalised: that is why we are here.
      }
      entry.ownsInitialize = initialize(entry.module);
    },
    release() {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users > 0) return;
      entries.delete(library);
      try {
        if (entry.ownsInitialize) entry.module.C_Finalize();
        entry.module.close();
      } catch {
        // Nothing useful to do when a module fails to shut down.
      }
    },
  };
}
