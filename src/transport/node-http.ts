/**
 * Node's HTTP and TLS modules, loaded on first use: they cost milliseconds at
 * start-up, which every process that merely imports certcreds (or runs a CLI
 * command that answers from its cache) would otherwise pay.
 */
export interface NodeHttp {
  http: typeof import("node:http");
  https: typeof import("node:https");
  tls: typeof import("node:tls");
}

let loading: Promise<NodeHttp> | undefined;

export function loadNodeHttp(): Promise<NodeHttp> {
  loading ??= Promise.all([import("node:http"), import("node:https"), import("node:tls")]).then(([http, https, tls]) => ({ http, https, tls }));
  return loading;
}
