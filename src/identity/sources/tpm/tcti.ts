/** The TPM a `tpm.device` value names, in the words of tpm2-tools' TCTI strings. */
import { TpmError } from "./errors.js";
import { DEVICE_OPTION, DeviceTransport, TcpTransport, type TpmTransport } from "./transport.js";

/**
 * The transport a `tpm.device` value names: a device path (`/dev/tpmrm0`,
 * `device:/dev/tpm0`) or `swtpm:host=H,port=P` (defaults localhost, 2321).
 */
export function transportFor(location: string): TpmTransport {
  const value = location.trim();
  if (value.startsWith("/")) return new DeviceTransport(value);
  const colon = value.indexOf(":");
  const scheme = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? "" : value.slice(colon + 1);
  if (scheme === "device") {
    if (!rest.startsWith("/")) throw optionError(value, "device: takes an absolute path, e.g. device:/dev/tpmrm0");
    return new DeviceTransport(rest);
  }
  if (scheme === "swtpm") {
    let host = "localhost";
    let port = 2321;
    for (const part of rest.split(",").filter((p) => p !== "")) {
      const [key, text = ""] = part.split("=", 2) as [string, string | undefined];
      if (key === "host" && /^[A-Za-z0-9.:[\]-]{1,253}$/.test(text)) host = text.replace(/^\[|\]$/g, "");
      else if (key === "port" && /^\d{1,5}$/.test(text) && Number(text) > 0 && Number(text) < 65536) port = Number(text);
      else throw optionError(value, `"${part.slice(0, 40)}" is not host=NAME or port=NUMBER`);
    }
    return new TcpTransport(host, port);
  }
  if (scheme === "mssim" || scheme === "tabrmd" || scheme === "libtpms" || scheme === "cmd") {
    throw optionError(value, `the ${scheme} TCTI is not supported; certcreds reaches a TPM through a device (/dev/tpmrm0) or swtpm:host=H,port=P`);
  }
  throw optionError(value, "pass a device path such as /dev/tpmrm0, or swtpm:host=H,port=P for a TPM simulator");
}

function optionError(value: string, why: string): TpmError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return new TpmError("option", DEVICE_OPTION, `tpm.device ${JSON.stringify(shown)} is not a TPM location: ${why}.`);
}
