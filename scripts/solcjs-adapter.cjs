#!/usr/bin/env node
// Makes npm `solc` (solc-js) answer like a native solc binary for py-solc-x:
//   --version            -> "Version: 0.8.x+commit..." on stdout
//   --standard-json ...  -> standard-JSON in on stdin, standard-JSON out on stdout
// Imports are read below --base-path (and --include-path), the same lookup native solc does.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solcjs-adapter: only --version and --standard-json are supported\n");
  process.exit(2);
}
const roots = [option("--base-path") || process.cwd()];
if (option("--include-path")) roots.push(...option("--include-path").split(","));

function findImports(unitName) {
  for (const root of roots) {
    const file = path.resolve(root, unitName);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  }
  return { error: `File not found below ${roots.join(", ")}: ${unitName}` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
