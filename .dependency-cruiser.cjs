/**
 * Dependency rules for certcreds, checked by dependency-cruiser (`npm run check:deps`, part of CI).
 *
 * The library is layered; a module may import its own layer and the layers below it, never one above:
 *
 *   core ← aws ← identity ← transport ← mechanisms ← cache ← surfaces ← cli
 *
 * (transport sees identity's types only; src/index.ts, the public entry, sits beside cli and may not import it.)
 * The emulators, the test PKI and the demo live in testing/, outside the library, and stay independent of it:
 * they verify what the library sends, so sharing its code would let a bug agree with itself.
 *
 * Paths are relative to the repository root. Each rule says why it exists; every rule is an error so CI fails.
 */

// Type-level edges vanish when TypeScript compiles: `import type`, `import { type X }` (every name a type),
// `export type … from` ("type-only") and `typeof import("…")` ("type-import").
const TYPE_ONLY = ["type-only", "type-import"];

// Everything a layer may import, itself included. Anything else in src/ is a layer climbed upwards.
const LAYERS = {
  core: ["core"],
  aws: ["core", "aws"],
  identity: ["core", "aws", "identity"],
  transport: ["core", "aws", "identity", "transport"], // identity: types only, see transport-sees-identity-types-only
  mechanisms: ["core", "aws", "identity", "transport", "mechanisms"],
  cache: ["core", "aws", "identity", "transport", "mechanisms", "cache"],
  surfaces: ["core", "aws", "identity", "transport", "mechanisms", "cache", "surfaces"],
};
const ALL_LAYERS = [...Object.keys(LAYERS), "cli"];

// A file in src/ that is in no layer folder and is not the public entry.
const OUTSIDE_LAYERS = `^src/(?!(${ALL_LAYERS.join("|")})/|index\\.ts$)`;
// A file under src/mechanisms/ named (or in a folder named) after a key kind or TLS backend.
const NAMED_AFTER_KEY_KIND = "^src/mechanisms/.*(pkcs11|aws-crt)";

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}-imports-only-below`,
  severity: "error",
  comment: `src/${layer}/ may import only ${allowed.map((name) => `src/${name}/`).join(", ")}: a lower layer must not know the layers built on it.`,
  from: { path: `^src/${layer}/` },
  to: { path: "^src/", pathNot: `^src/(${allowed.join("|")})/` },
}));

// The CLI commands that start the emulators; the only library files allowed to reach testing/.
const DEMO_COMMANDS = "^src/cli/commands/(demo|emulate)\\.ts$";
// What of testing/ those commands may load: its entry and the demo.
const TESTING_ENTRY = "^testing/(index\\.ts$|demo/)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment:
        "Modules in src/ and testing/ form no import cycle: a cycle makes load order matter and the layers meaningless. " +
        "Cycles made only possible by type-level imports are not counted, as they do not exist at run time; " +
        "dynamic imports are counted. (dependency-cruiser judges one cycle per import: a value-only cycle that shares " +
        "an import with a type-level one may go unreported until the type-level one is gone.)",
      from: { path: "^(src|testing)/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: TYPE_ONLY } },
    },

    ...layerRules,
    {
      name: "transport-sees-identity-types-only",
      severity: "error",
      comment:
        "src/transport/ needs identity's description of a TLS key, not its code: a value import from identity would let " +
        "transport load keys itself. Use `import type`. One exception: a mutual-TLS backend that signs on a token " +
        "(src/transport/mtls/aws-crt/) shares that token's module lease and error type with the key source it serves.",
      from: { path: "^src/transport/", pathNot: "^src/transport/mtls/aws-crt/" },
      to: { path: "^src/identity/", dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: "token-tls-backend-sees-its-key-source-only",
      severity: "error",
      comment: "The aws-crt backend may use the PKCS#11 source's module lease and errors, nothing else of identity's code.",
      from: { path: "^src/transport/mtls/aws-crt/" },
      to: { path: "^src/identity/", pathNot: "^src/identity/sources/pkcs11/(errors|module-registry)\\.ts$", dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: "index-does-not-import-cli",
      severity: "error",
      comment: "src/index.ts is the library's public entry; the CLI is built on the library, not part of it.",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/cli/" },
    },
    {
      name: "src-file-outside-layers",
      severity: "error",
      comment:
        `Every file in src/ belongs to a layer (${ALL_LAYERS.join(", ")}) or is src/index.ts; ` +
        "a file elsewhere would escape every layer rule.",
      from: { path: OUTSIDE_LAYERS },
      to: { path: "^(src|testing)/" },
    },
    {
      name: "import-of-src-file-outside-layers",
      severity: "error",
      comment: "The other side of src-file-outside-layers: an import of such a file (caught even when the file imports nothing).",
      from: { pathNot: OUTSIDE_LAYERS },
      to: { path: OUTSIDE_LAYERS },
    },

    {
      name: "mechanism-folders-independent",
      severity: "error",
      comment:
        "A mechanism folder (src/mechanisms/<name>/) may use the shared files in src/mechanisms/ but not another " +
        "mechanism's folder: what two mechanisms share belongs in the shared files, so a mechanism can be added or " +
        "removed alone.",
      from: { path: "^src/mechanisms/([^/]+)/" },
      to: { path: "^src/mechanisms/[^/]+/", pathNot: "^src/mechanisms/$1/" },
    },
    {
      name: "mechanisms-know-no-key-kind",
      severity: "error",
      comment:
        "Mechanisms take a key source and a TLS key description and never ask what kind of key it is: no import of " +
        "the PKCS#11 source (src/identity/sources/pkcs11/), of a module named after a key kind or TLS backend, or of " +
        "the packages aws-crt and pkcs11js. Only identity's sources and transport's mTLS backends know those. " +
        "An import() of a computed name (the optional-package loader) is invisible here.",
      from: { path: "^src/mechanisms/", pathNot: NAMED_AFTER_KEY_KIND },
      to: { path: "pkcs11|aws-crt" },
    },
    {
      name: "mechanisms-name-no-key-kind",
      severity: "error",
      comment:
        "The same seam seen from the file name: nothing under src/mechanisms/ is named after PKCS#11 or aws-crt; " +
        "such code belongs to an identity source or a transport backend.",
      from: { path: NAMED_AFTER_KEY_KIND },
      to: { path: "^src/" },
    },

    {
      name: "library-does-not-import-testing",
      severity: "error",
      comment:
        "The library never loads the emulators, the test PKI or the demo: they are not part of what it ships to run. " +
        "The only exception is the CLI's demo and emulate commands (see cli-loads-testing-entry-lazily).",
      from: { path: "^src/", pathNot: DEMO_COMMANDS },
      to: { path: "^testing/" },
    },
    {
      name: "cli-loads-testing-entry-lazily",
      severity: "error",
      comment:
        "src/cli/commands/demo.ts and emulate.ts may reach testing/ only by a dynamic import(), so no other command " +
        "pays for loading it, and only its entry (testing/index.ts) or the demo (testing/demo/).",
      from: { path: DEMO_COMMANDS },
      to: { path: "^testing/", dependencyTypesNot: ["dynamic-import"] },
    },
    {
      name: "cli-loads-testing-entry-only",
      severity: "error",
      comment: "See cli-loads-testing-entry-lazily: the demo commands load testing/index.ts or testing/demo/, nothing deeper.",
      from: { path: DEMO_COMMANDS },
      to: { path: "^testing/", pathNot: TESTING_ENTRY },
    },
    {
      name: "testing-imports-nothing-of-src",
      severity: "error",
      comment:
        "The emulators, the test PKI and testing/index.ts are the independent verifier of the library: they import " +
        "none of its code, so a bug in the library cannot make the emulator agree with it.",
      from: { path: "^testing/", pathNot: "^testing/demo/" },
      to: { path: "^src/" },
    },
    {
      name: "emulators-never-reach-src",
      severity: "error",
      comment: "The same independence, transitively: no chain of imports leads from the emulators or the test PKI into src/.",
      from: { path: "^testing/(emulators|pki)/" },
      to: { path: "^src/", reachable: true },
    },
    {
      name: "demo-imports-public-entry-only",
      severity: "error",
      comment: "The demo shows the library as a user sees it: through src/index.ts, the public entry, and nothing else of src/.",
      from: { path: "^testing/demo/" },
      to: { path: "^src/", pathNot: "^src/index\\.ts$" },
    },

    {
      name: "production-does-not-import-tests",
      severity: "error",
      comment: "Files in src/ and testing/ ship in the package; test/ and bench/ do not, and may change freely.",
      from: { path: "^(src|testing)/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "no-unresolvable-import",
      severity: "error",
      comment:
        "An import the checker cannot resolve to a file cannot be checked against the rules above. The optional " +
        "packages (aws-crt, pkcs11js) may be absent and are exempt.",
      from: { path: "^(src|testing)/" },
      to: { couldNotResolve: true, pathNot: "^(aws-crt|pkcs11js)$" },
    },
  ],

  options: {
    // Follow src/ and testing/; see, but do not crawl, what they import elsewhere (test/, bench/, packages).
    doNotFollow: { path: "^(node_modules|test|bench)/" },
    // `import type` edges are kept (and labelled) so the type-only rules can see them.
    tsPreCompilationDeps: true,
    // NodeNext: a relative import says "./x.js" for the file x.ts; resolution follows tsconfig.json.
    tsConfig: { fileName: "tsconfig.json" },
  },
};
