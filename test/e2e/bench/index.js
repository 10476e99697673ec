// In-host benchmark suite (run by `npm run bench extension`, not by npm test): prints E2E-METRIC lines.
const { pathToFileURL } = require('node:url');
const path = require('node:path');

exports.run = async () => {
  const { runMochaSuite } = await import(pathToFileURL(path.join(__dirname, '../harness/mochaInHost.mjs')).href);
  await runMochaSuite({ testsDir: __dirname });
};
