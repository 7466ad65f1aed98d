/**
 * The code a fetch runs — both mechanisms' sources, the identity checks,
 * the file key source — imported by the sessions at their first fetch
 * (DeferredSource). The build places everything reachable from here in one
 * chunk (scripts/build-bundles.mjs), so a first fetch reads one file
 * instead of one per combination of lazy parts; the identity layer's own
 * lazy imports (open-identity, file/source) then find their code loaded,
 * and the file key source is handed over without an import() at all.
 */
import { provideFileSource } from "../identity/sources/file/kind.js";
import { openFileSource } from "../identity/sources/file/source.js";

provideFileSource(openFileSource);

export { openIdentity } from "../identity/open-identity.js";
export { openFileSource };
export { IotCredentialSource } from "./iot/source.js";
export { RolesAnywhereSource } from "./roles-anywhere/source.js";
