// The built server (dist/flamelens.js) for tests that spawn it, as a private copy: a build running
// meanwhile must not rewrite the bundle under them. npm test has just built dist/; a file run on
// its own builds it when it is missing.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');

/** Registers the copy for the calling test file; the returned function gives its path once the file's hooks ran. */
export function useBuiltServer(): () => string {
  let dir = '';
  let bin = '';
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'flamelens.js'))) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'flamelens-bin-'));
    bin = join(dir, 'flamelens.js');
    copyFileSync(join(ROOT, 'dist', 'flamelens.js'), bin);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => bin;
}
