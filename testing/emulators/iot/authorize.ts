/**
 * The checks of one `GET /role-aliases/<alias>/credentials`, in the real
 * service's order, with its statuses and messages.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { CheckedRoleAlias, IotAccount } from "./account.js";

/** The real service's messages. */
export const IOT_ERROR_MESSAGES = {
  invalidCertificate: "Certificate is invalid on this endpoint",
  invalidThingName: "Invalid thing name passed",
  accessDenied: "Access Denied",
  roleAliasMissing: "Role alias does not exist",
  cannotAssumeRole: "Unable to assume the role, or the role to assume does not exist",
  durationTooLong: "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role",
} as const;

const PATH = /^\/role-aliases\/([^/?]+)\/credentials(?:\?.*)?$/;

/** How the emulator sees one connection's client certificate. */
export interface ConnectionState {
  clientCertificateId: string | undefined;
  /** Issued by a registered CA, or registered itself. */
  known: boolean;
  resumed: boolean;
}

/** Either the alias to issue credentials for, and to which certificate, or the answer that refuses. */
export type Authorization = { ok: true; alias: CheckedRoleAlias; certificateId: string } | { ok: false; status: number; message: string };

const refused = (status: number, message: string): Authorization => ({ ok: false, status, message });

export function authorize(req: IncomingMessage, connection: ConnectionState, account: IotAccount): Authorization {
  const match = PATH.exec(req.url ?? "");
  if (req.method !== "GET" || !match?.[1]) return refused(404, "Not Found");
  const id = connection.clientCertificateId;
  if (!connection.known || id === undefined || account.inactive.has(id)) {
    return refused(403, IOT_ERROR_MESSAGES.invalidCertificate);
  }
  const thingHeader = req.headers["x-amzn-iot-thingname"];
  if (thingHeader !== undefined) {
    const thingName = Array.isArray(thingHeader) ? thingHeader[0] : thingHeader;
    if (thingName === undefined || !account.things.get(thingName)?.has(id)) {
      return refused(403, IOT_ERROR_MESSAGES.invalidThingName);
    }
  }
  let aliasName: string;
  try {
    aliasName = decodeURIComponent(match[1]);
  } catch {
    return refused(404, IOT_ERROR_MESSAGES.roleAliasMissing);
  }
  const alias = account.aliases.get(aliasName);
  if (!alias) return refused(404, IOT_ERROR_MESSAGES.roleAliasMissing);
  if (!alias.policyAllows) return refused(403, IOT_ERROR_MESSAGES.accessDenied);
  if (!alias.roleAssumable) return refused(400, IOT_ERROR_MESSAGES.cannotAssumeRole);
  if (alias.credentialDurationSeconds > alias.maxSessionDuration) return refused(400, IOT_ERROR_MESSAGES.durationTooLong);
  return { ok: true, alias, certificateId: id };
}
