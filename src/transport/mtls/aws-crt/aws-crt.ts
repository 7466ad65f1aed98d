import { optionalPackageErrors, Pkcs11Error } from "../../../identity/sources/pkcs11/errors.js";
import { importOptionalPackage, loadOnce } from "../../../core/optional-package.js";

/** The npm package that carries mutual TLS with a PKCS#11 key. */
export const CRT_PACKAGE = "aws-crt";

/**
 * The part of aws-crt certcreds uses, declared here so that the package
 * stays optional (nothing imports its types) and is loaded only when an IoT
 * key lives on a token.
 */
export interface Crt {
  io: {
    Pkcs11Lib: (new (path: string, behavior?: number) => { close(): void }) & { InitializeFinalizeBehavior: { OMIT: number; DEFAULT: number } };
    TlsContextOptions: {
      create_client_with_mtls_pkcs11(options: {
        pkcs11_lib: unknown;
        user_pin: string | null;
        slot_id?: number;
        token_label?: string;
        private_key_object_label?: string;
        cert_file_contents?: string;
      }): CrtTlsContextOptions;
    };
    ClientTlsContext: new (options: CrtTlsContextOptions) => object;
    TlsConnectionOptions: new (context: object, serverName?: string) => object;
    ClientBootstrap: new () => object;
    SocketOptions: new (type?: number, domain?: number, connectTimeoutMs?: number) => object;
    SocketType: { STREAM: number };
    SocketDomain: { IPV4: number; IPV6: number };
    TlsVersion: { TLSv1_2: number };
  };
  http: {
    HttpClientConnection: new (bootstrap: object | undefined, host: string, port: number, socket: object, tls?: object, proxy?: object) => CrtConnection;
    HttpRequest: new (method: string, path: string, headers?: object) => object;
    HttpHeaders: new (headers?: [string, string][]) => object;
    HttpProxyOptions: new (host: string, port: number, authMethod?: number, user?: string, password?: string, tls?: object, connectionType?: number) => object;
    HttpProxyAuthenticationType: { None: number; Basic: number };
    HttpProxyConnectionType: { Tunneling: number };
  };
}

export interface CrtTlsContextOptions {
  min_tls_version: number;
  certificate_authority?: string;
  verify_peer: boolean;
}

export interface CrtConnection {
  on(event: "connect", listener: () => void): void;
  on(event: "error", listener: (error: CrtErrorLike) => void): void;
  on(event: "close", listener: () => void): void;
  request(request: object): CrtStream;
  close(): void;
}

export interface CrtStream {
  on(event: "response", listener: (status: number, headers: Iterable<[string, string]>) => void): void;
  on(event: "data", listener: (chunk: ArrayBuffer) => void): void;
  on(event: "end", listener: () => void): void;
  on(event: "error", listener: (error: CrtErrorLike) => void): void;
  activate(): void;
  close(): void;
}

/** aws-crt's CrtError: an Error with the C library's error name. */
export interface CrtErrorLike extends Error {
  error_name?: string;
  error_code?: number;
}

/** Loads aws-crt once, on first use. */
export const loadCrt: () => Promise<Crt> = loadOnce(() => importCrt(CRT_PACKAGE));

/**
 * Runs `fn` with aws-crt's "Node 20 support ends in 2027" notice silenced:
 * it is about aws-crt's support policy, and a CLI would print it on every
 * run. aws-crt checks the variable once, at its first native object.
 */
export function quietly<T>(fn: () => T): T {
  const flag = "AWS_CRT_NODEJS_SUPPRESS_NODE_DEPRECATION_WARNING";
  const previous = process.env[flag];
  process.env[flag] ??= "1";
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env[flag];
  }
}

/** Imports aws-crt (the specifier is a variable so bundlers leave it alone). */
export async function importCrt(specifier: string): Promise<Crt> {
  const loaded = await importOptionalPackage<Partial<Crt> & { default?: Partial<Crt> }>(
    specifier,
    optionalPackageErrors(
      specifier,
      `The IoT credential provider needs mutual TLS with the key on the PKCS#11 token, which Node's TLS cannot do: install the optional package "${specifier}" ("npm install ${specifier}").`,
      `Reinstall it ("npm install ${specifier}").`,
    ),
  );
  const crt = loaded.io ? loaded : loaded.default;
  if (!crt?.io?.TlsContextOptions?.create_client_with_mtls_pkcs11 || !crt.http?.HttpClientConnection) {
    throw new Pkcs11Error(
      "binding",
      "pkcs11",
      `The installed "${specifier}" has no TlsContextOptions.create_client_with_mtls_pkcs11: install a recent version ("npm install ${specifier}@1").`,
    );
  }
  return crt as Crt;
}
