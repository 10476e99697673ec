// Entry the extension host loads (extensionTestsPath): runs every *.test.js here under mocha.
const { pathToFileURL } = require('node:url');
const path = require('node:path');

exports.run = async () => {
  const { runMochaSuite } = await import(pathToFileURL(path.join(__dirname, '../../harness/mochaInHost.mjs')).href);
  await runMochaSuite({ testsDir: __dirname, timeoutMs: 240_000 });
};
