#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): Node starts a CommonJS program faster than an ES module, and a
// warm `credential-process` is answered before anything else loads. Everything else goes to the ESM bundle.
require("../dist/cli/certcreds.cjs");
