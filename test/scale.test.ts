// Valid but huge inputs stay usable (issues "Two crashes at scale" and "Big, hostile and huge
// profiles", scaled down for npm test; the full sizes run in npm run soak): no request allocates in
// proportion to the whole profile, lenses and hovers are capped, and no recursion or argument
// spread depends on the size of the input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LENS_FUNCTIONS } from '../server/src/features/code-lens';
import type { CallersResult } from '../server/src/protocol';
import { hoverText, makeWorkspace, TestClient } from './lsp/harness';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'dist', 'flamelens.js');
let dir = '';
beforeAll(() => {
  if (!existsSync(BIN)) spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'flamelens-scale-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Austin text with `n` distinct stacks: main -> g<i> -> leaf in one 300-line source file, so
 * `leaf` has `n` callers (its lens and hover list the hottest of them).
 */
function distinctStacks(n: number, file: string): string {
  const lines = ['# austin: 3.7.0', '# interval: 100', '# mode: wall', ''];
  for (let i = 0; i < n; i++) lines.push(`P1;T0:1;${file}:main:1;${file}:g${i}:${2 + (i % 299)};${file}:leaf:300 ${100 + (i % 7)}`);
  return lines.join('\n') + '\n';
}

describe('a profile of 100,000 distinct functions in one file, in the language server', () => {
  let c: TestClient;
  let uri = '';
  beforeAll(async () => {
    const ws = makeWorkspace({ 'app/c.py': Array.from({ length: 300 }, (_, i) => `x${i} = ${i}`).join('\n') + '\n' }, { sources: false });
    ws.write('big.austin', distinctStacks(100_000, ws.path('app/c.py')));
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, threshold: 0 } });
    await c.ready('big.austin');
    uri = await c.open('app/c.py');
  }, 120_000);
  afterAll(() => c.dispose());

  it('answers lenses capped to the hottest functions, a few per line', async () => {
    const lenses = await c.codeLenses(uri);
    const main = lenses.filter((l) => l.command?.command === 'flamelens.showCallers');
    expect(main.length).toBeGreaterThan(0);
    expect(main.length).toBeLessThanOrEqual(MAX_LENS_FUNCTIONS);
    const perLine = new Map<number, number>();
    for (const l of main) perLine.set(l.range.start.line, (perLine.get(l.range.start.line) ?? 0) + 1);
    expect(Math.max(...perLine.values())).toBeLessThanOrEqual(2);
    // the function with 100,000 callers gets its lens, naming its hottest callers (each caller's
    // call site was once looked up in a list of all of them: 10^10 steps, the server never answered)
    const leaf = lenses.filter((l) => l.range.start.line === 299).map((l) => l.command?.title ?? '');
    expect(leaf.join('\n')).toMatch(/g\d+/);
  });

  it("lists the hottest 200 of a function's 100,000 call sites in Show Callers, and how many more", async () => {
    const r = await c.command<CallersResult | null>('flamelens.showCallers', uri, { line: 299, character: 0 });
    expect(r?.function).toBe('leaf');
    expect(r?.callers).toHaveLength(200);
    expect(r?.more).toBe(100_000 - 200);
  });

  it('answers a hover on a line that 334 functions run, small and saying how many more', async () => {
    const md = hoverText(await c.hover(uri, 1));
    expect(md.length).toBeGreaterThan(0);
    expect(md.length).toBeLessThan(20_000);
    expect(md).toMatch(/and \d+ more functions on this line/);
  });
});

describe('flamelens annotate over 200,000 functions of one file', () => {
  it('prints them all (text and JSON) without overflowing the stack, exit 0', () => {
    const app = join(dir, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'c.py'), Array.from({ length: 300 }, (_, i) => `x${i} = ${i}`).join('\n') + '\n');
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(`g${i}:/app/c.py:${1 + (i % 300)} 1`);
    writeFileSync(join(dir, 'wide.folded'), lines.join('\n') + '\n');
    for (const json of [false, true]) {
      const r = spawnSync(process.execPath, [BIN, 'annotate', 'wide.folded', 'app/c.py', ...(json ? ['--json'] : [])], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      if (json) expect(JSON.parse(r.stdout).functions).toHaveLength(200_000);
      else expect(r.stdout.split('\n').filter((l) => / g\d+ /.test(l)).length).toBe(200_000);
    }
  }, 120_000);
});
