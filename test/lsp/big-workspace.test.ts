// A big and messy workspace, scaled down (issue 15 item 3, issue 17 item 5): the built server on
// 10,000 files in heavy folders and a 10,000-file ordinary vendor/. It finds the profiles (not
// the one in node_modules), shows the hints, holds one inotify watch per ordinary folder (before:
// one per file, 20,000 here), uses no CPU at rest, and stays within 2x the memory it needs for
// the shop workload alone. `npm run soak` runs the full size and prints the times.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBigWorkspace, buildSmallWorkspace, measureWorkspace, type BuiltWorkspace } from '../../bench/big-workspace';

const ROOT = resolve(__dirname, '..', '..');
let BIN = '';
let parent = '';
let built: BuiltWorkspace;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'flamelens.js'))) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  parent = mkdtempSync(join(tmpdir(), 'flamelens-bigws-'));
  BIN = join(parent, 'flamelens.js');
  copyFileSync(join(ROOT, 'dist', 'flamelens.js'), BIN);
  built = buildBigWorkspace(parent, { heavyFiles: 10_000, vendorFiles: 10_000 });
}, 120_000);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('a workspace of 20,000 files with node_modules, .git, .venv, __pycache__, a symlink loop and a big vendor/', () => {
  it('finds its profiles, shows hints, holds one watch per ordinary folder, rests, and stays within 2x the memory of a small one', async () => {
    const small = await measureWorkspace(BIN, buildSmallWorkspace(parent), 2000);
    const big = await measureWorkspace(BIN, built.dir, 3000);
    expect(big.profiles.sort()).toEqual([join(built.dir, 'profile.austin'), join(built.dir, 'vendor', 'old', 'old.austin')]);
    // the folders outside node_modules, .git, .venv and __pycache__: never a watch per file
    expect(big.inotifyWatches).toBeLessThanOrEqual(built.ordinaryDirs);
    expect(big.inotifyWatches).toBeLessThan(built.files / 50);
    // at rest: no polling of the tree (a few ms for timers at most)
    expect(big.idleCpuMs).toBeLessThanOrEqual(big.idleMs * 0.02);
    expect(big.rssMiB).toBeLessThan(2 * small.rssMiB);
  }, 180_000);
});
