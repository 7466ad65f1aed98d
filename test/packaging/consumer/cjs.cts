// Type-checks a CommonJS consumer (module node16/nodenext): these imports compile to require().
import { CertcredsError, IotCredentialSession, type IotSessionInit } from "certcreds";
import certcreds = require("certcreds");
import testing = require("certcreds/testing");

const init: IotSessionInit = { endpoint: "localhost:8443", roleAlias: "a", thingName: "t", certificate: "c.pem", privateKey: "k.pem" };
export function session(): IotCredentialSession {
  return new IotCredentialSession(init);
}
export const isError = (error: unknown): boolean => error instanceof CertcredsError || error instanceof certcreds.ServiceError;
export const startEmulator: typeof testing.startIotCredentialEmulator = testing.startIotCredentialEmulator;
