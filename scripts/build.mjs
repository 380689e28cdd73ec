// One esbuild script for every bundle: the standalone server/CLI, the benchmark and (when present)
// the VS Code extension, which bundles the same server entry rather than a second copy.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

// The flame graph page's browser code, bundled first and carried by the server as one string
// (server/src/flamegraph/page-script.ts), so the page never loads anything at run time.
const page = await build({
  entryPoints: ['server/src/flamegraph/page/main.ts'], bundle: true, minify: true, format: 'iife', platform: 'browser',
  target: 'es2020', write: false, logLevel: 'warning',
});
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning',
  define: { FLAMELENS_PAGE_JS: JSON.stringify(page.outputFiles[0].text) },
};

// `node scripts/build.mjs vscode` builds only the extension's two bundles (npm run package:vscode), so
// that packaging never rewrites dist/flamelens.js while another test is running it.
const vscodeOnly = process.argv.includes('vscode');
const jobs = vscodeOnly ? [] : [
  build({ ...common, entryPoints: ['server/src/main.ts'], outfile: 'dist/flamelens.js', banner: { js: '#!/usr/bin/env node' } }),
];
if (!vscodeOnly && existsSync('bench/index.ts')) {
  // playwright-core (the flame graph page bench) is loaded from node_modules at run time, not bundled
  jobs.push(build({ ...common, entryPoints: ['bench/index.ts'], outfile: 'dist/bench.js', external: ['playwright-core'] }));
}
if (!vscodeOnly && existsSync('bench/soak-main.ts')) {
  jobs.push(build({ ...common, entryPoints: ['bench/soak-main.ts'], outfile: 'dist/soak.js' }));
}
if (existsSync('clients/vscode/src/extension.ts')) {
  jobs.push(build({ ...common, entryPoints: ['clients/vscode/src/extension.ts'], outfile: 'clients/vscode/dist/extension.js', external: ['vscode'], minify: true }));
  jobs.push(build({ ...common, entryPoints: ['server/src/main.ts'], outfile: 'clients/vscode/dist/server.js' }));
}
await Promise.all(jobs);
