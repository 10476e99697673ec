#!/usr/bin/env node
// Entry of the `normlens` command: the bundled CLI when built, the TypeScript sources through tsx in a checkout.
const path = require('node:path');
const fs = require('node:fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
if (fs.existsSync(bundled)) cli = require(bundled);
else {
  require('tsx/cjs');
  cli = require('../cli/main.ts');
}
cli.main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n')).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`normlens: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
