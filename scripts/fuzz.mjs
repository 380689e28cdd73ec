// `npm run fuzz [-- options]`: bundles the long fuzz run (test/fuzz/run.ts) and runs it; options and
// what it prints are described there and in docs/reliability.md.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'flamelens-fuzz-'));
const out = join(dir, 'fuzz.js');
try {
  await build({ entryPoints: ['test/fuzz/run.ts'], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning' });
  const r = spawnSync(process.execPath, ['--enable-source-maps', out, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, FLAMELENS_FIXTURES: resolve('test/fixtures') } });
  process.exitCode = r.status ?? 2;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
