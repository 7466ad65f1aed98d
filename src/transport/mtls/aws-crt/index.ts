/**
 * IoT credentials with the thing's key on a PKCS#11 token: mutual TLS
 * through aws-crt, loaded only when such a key is configured.
 *
 * @module
 */
export { CRT_PACKAGE, importCrt, loadCrt } from "./aws-crt.js";
export { probeServerTrust } from "./server-trust-probe.js";
export { type TokenTlsRequest, TokenTlsTransport } from "./token-tls-transport.js";
