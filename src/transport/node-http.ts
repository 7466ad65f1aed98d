import { loadBuiltin } from "../core/node-builtins.js";

/**
 * Node's HTTP and TLS modules, loaded on first use: they cost milliseconds at
 * start-up, which every process that merely imports certcreds (or runs a CLI
 * command that answers from its cache) would otherwise pay. Each is loaded when
 * first read: an exchange without a proxy loads `node:tls` (or `node:net`)
 * only, never `node:http` or `node:https` (src/transport/http1/).
 */
export interface NodeHttp {
  readonly http: typeof import("node:http");
  readonly tls: typeof import("node:tls");
  readonly net: typeof import("node:net");
}

const modules: NodeHttp = {
  get http() {
    return loadBuiltin<typeof import("node:http")>("node:http");
  },
  get tls() {
    return loadBuiltin<typeof import("node:tls")>("node:tls");
  },
  get net() {
    return loadBuiltin<typeof import("node:net")>("node:net");
  },
};

export function nodeHttp(): NodeHttp {
  return modules;
}

/**
 * Loads `node:tls` ahead of the first connection. When `node:tls` loads, Node
 * starts parsing its bundled root certificates on a background thread, and
 * the first TLS context waits for them (several milliseconds of parsing, even
 * with a `ca` of one's own). Loading it as a fetch begins lets that parsing
 * run while the identity is read and checked, instead of while the
 * connection waits; loaded lazily as before, it cost a fresh process about
 * 6 ms before its first credentials (docs/performance.md).
 */
export function loadTlsAhead(): void {
  void modules.tls;
}
