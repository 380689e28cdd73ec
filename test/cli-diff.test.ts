// `flamelens diff`, spawned from dist/ as a user runs it, on the real before/after pair
// (test/fixtures/pairs/audit-fix: answer keys in its README) and on the recorded fixtures for
// what must be refused. Expected values come from an independent reading of the files.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, type Run } from './helpers/cli';
import { FIXTURES, recorded } from './helpers/paths';
import { naiveAustin, type NaiveSample } from './lsp/naive-austin';

const PAIR = join(FIXTURES, 'pairs', 'audit-fix');
const BEFORE = join(PAIR, 'before.austin');
const AFTER = join(PAIR, 'after.austin');


interface Entry {
  function: string;
  display: string;
  file: string;
  line: number | null;
  baseLine?: number | null;
  status: string;
  base: number;
  current: number;
  delta: number;
  percent: number | null;
  z: number | null;
  significant: boolean;
  direction: 'slower' | 'faster' | 'same';
}

function json(...args: string[]): { run: Run; doc: { entries: Entry[]; flagged: number; count: number; notes: string[]; regressions: number } } {
  const run = cli(...args, '--json');
  return { run, doc: JSON.parse(run.stdout) };
}

/** A function's total in seconds (once per sample), read independently. */
function seconds(p: { samples: NaiveSample[] }, file: string, name: string): number {
  let v = 0;
  for (const s of p.samples) if (s.frames.some((f) => f.file.endsWith(file) && f.name === name)) v += s.value;
  return v / 1e6;
}

const find = (entries: Entry[], file: string, name: string) => entries.find((e) => e.file.endsWith(file) && e.function === name);

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
});

describe('flamelens diff before.austin after.austin --by function --json', () => {
  const before = naiveAustin(BEFORE);
  const after = naiveAustin(AFTER);
  let doc: ReturnType<typeof json>['doc'];
  let run: Run;

  beforeAll(() => {
    ({ run, doc } = json('diff', BEFORE, AFTER, '--by', 'function'));
  });

  it('exits 0 and says the totals differ rather than normalising silently', () => {
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(doc.notes[0]).toMatch(/^the runs differ in total: 12\.4 s in before\.austin, 9\.84 s in after\.austin \(\u221220\.8 %\)/);
  });

  it('flags inventory.audit, Inventory.receive and Inventory.ship as faster, with the answer keys’ changes', () => {
    const keys = { audit: [2.76, 0.005], 'Inventory.receive': [1.39, 0.002], 'Inventory.ship': [1.376, 0.002] } as const;
    for (const [name, [b, a]] of Object.entries(keys)) {
      const e = find(doc.entries, '/shop/inventory.py', name)!;
      expect(e, name).toBeDefined();
      expect(e.significant, name).toBe(true);
      expect(e.direction, name).toBe('faster');
      // independent reading, and the README's answer keys (±0.05 s)
      expect(Math.abs(e.base / 1e6 - seconds(before, '/shop/inventory.py', name))).toBeLessThan(1e-9);
      expect(Math.abs(e.current / 1e6 - seconds(after, '/shop/inventory.py', name))).toBeLessThan(1e-9);
      expect(Math.abs(e.delta / 1e6 - (a - b))).toBeLessThanOrEqual(0.05);
      expect(e.percent).toBeCloseTo(-99.8, 0);
    }
    const audit = find(doc.entries, '/shop/inventory.py', 'audit')!;
    expect(audit.display).toBe('inventory.audit');
    expect(audit.line).toBe(20); // audit's hottest line in after.austin (Austin records no definition lines)
  });

  it('does not flag unchanged code: workers.worker (+4.6 %) and pricing.line_total (+1.8 %)', () => {
    for (const [file, name, b, a] of [['/shop/workers.py', 'worker', 4.664, 4.879], ['/shop/pricing.py', 'line_total', 2.189, 2.229]] as const) {
      const e = find(doc.entries, file, name)!;
      expect(e.significant, name).toBe(false);
      expect(e.direction, name).toBe('same');
      expect(Math.abs(e.base / 1e6 - b)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(e.current / 1e6 - a)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(e.z!)).toBeLessThan(3);
    }
  });

  it('lists inspect.stack as gone, with line null', () => {
    const e = find(doc.entries, '/inspect.py', 'stack')!;
    expect(e).toMatchObject({ status: 'gone', line: null, current: 0, significant: true, direction: 'faster', display: 'inspect.stack' });
  });

  it('orders flagged entries first, largest change first', () => {
    const flagged = doc.entries.filter((e) => e.significant);
    expect(doc.entries.slice(0, flagged.length).every((e) => e.significant)).toBe(true);
    for (let i = 1; i < flagged.length; i++) expect(Math.abs(flagged[i - 1].delta)).toBeGreaterThanOrEqual(Math.abs(flagged[i].delta));
    expect(doc.flagged).toBe(flagged.length);
  });
});

describe('flamelens diff, other cases', () => {
  it('flags nothing when a profile is compared with itself', () => {
    for (const by of ['function', 'line']) {
      const { run, doc } = json('diff', AFTER, AFTER, '--by', by);
      expect(run.status).toBe(0);
      expect(doc.flagged).toBe(0);
      expect(doc.count).toBeGreaterThan(50);
      for (const e of doc.entries) expect(e).toMatchObject({ delta: 0, significant: false, direction: 'same' });
    }
  });

  it('prints the flagged changes as a table, names inert', () => {
    const r = cli('diff', BEFORE, AFTER, '-n', '10');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^flagged   31 of 249 functions \(the 10 largest shown; --limit 0 for all\)$/m);
    expect(r.stdout).toMatch(/^ +\u22122\.76 s +\u221299\.8 % +2\.76 s +4\.53 ms +\u221249\.5 +inventory\.audit +\/home\/dev\/shop\/shop\/inventory\.py:20$/m);
    expect(r.stdout).not.toMatch(/workers\.worker/);
    expect(cli('diff', BEFORE, AFTER, '--all', '-n', '0').stdout).toMatch(/workers\.worker \(noise\)/);
  });

  it('refuses CPU time against wall time: one line on stderr, nothing on stdout, exit 2', () => {
    const r = cli('diff', recorded('austin3-wall.austin'), recorded('austin3-cpu.austin'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('flamelens: cannot compare austin3-cpu.austin with austin3-wall.austin: austin3-cpu.austin is measured in CPU time, austin3-wall.austin records wall time\n');
  });

  it('refuses time against memory', () => {
    const r = cli('diff', recorded('austin3-mem.austin'), recorded('austin3-cpu.austin'), '--json');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^flamelens: cannot compare austin3-cpu\.austin with austin3-mem\.austin: .*records memory allocated, memory released\n$/);
  });

  it('refuses an unreadable baseline', () => {
    const r = cli('diff', join(PAIR, 'nowhere.austin'), AFTER);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flamelens: ${join(PAIR, 'nowhere.austin')}: cannot open: ENOENT\n`);
  });

  it('--by line carries before.austin:34 to after.austin:36 (receive), and never puts line 16 on line 16', () => {
    const { doc } = json('diff', BEFORE, AFTER, '--by', 'line');
    const inv = doc.entries.filter((e) => e.file.endsWith('/shop/inventory.py'));
    const l36 = inv.find((e) => e.line === 36)!;
    expect(l36).toMatchObject({ baseLine: 34, function: 'Inventory.receive', significant: true, direction: 'faster' });
    // audit's lines: without the source (not on this machine) the place of its old line 16 cannot be told
    expect(inv.find((e) => e.line === 16)).toBeUndefined();
    expect(inv.find((e) => e.baseLine === 16)).toBeUndefined();
    expect((doc as unknown as { unplaced: { baseLine: number; function: string }[] }).unplaced).toContainEqual(expect.objectContaining({ baseLine: 16, function: 'audit' }));
    // unchanged code is not flagged line by line either (answer keys: workers.py:12 +4.6 %, pricing.py:28 +2.6 %)
    for (const [file, line] of [['/shop/workers.py', 12], ['/shop/pricing.py', 28]] as const) {
      const e = doc.entries.find((x) => x.file.endsWith(file) && x.line === line)!;
      expect(e).toMatchObject({ baseLine: line, significant: false, direction: 'same' });
    }
  });

  it('--compare share shows the lesson: unchanged workers.worker becomes a 12-point "regression"', () => {
    const { doc } = json('diff', BEFORE, AFTER, '--compare', 'share');
    const e = find(doc.entries, '/shop/workers.py', 'worker')!;
    expect(e.delta).toBeCloseTo(49.59 - 37.54, 0);
    expect(e.direction).toBe('slower');
  });
});

describe('the CI example of docs/cli.md', () => {
  // the flamelens line of the documented step, run as written (npx flamelens -> the built bin)
  const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const block = /<!-- tested by test\/cli-diff\.test\.ts[^>]*-->\n```sh\n([\s\S]*?)```/.exec(doc)![1];
  const line = block.split('\n').find((l) => l.startsWith('npx flamelens diff '))!;
  const args = line.replace(/^npx flamelens /, '').split(/\s+/).filter(Boolean);
  const run = (baseline: string, current: string) => cli(...args.map((a) => (a === 'baseline.austin' ? baseline : a === 'current.austin' ? current : a)));

  it('passes when the change made things faster', () => {
    expect(args).toEqual(['diff', 'baseline.austin', 'current.austin', '--by', 'function', '--min-share', '1', '--fail-on-regression', '10']);
    const r = run(BEFORE, AFTER);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('fails with exit 3 when it made them slower, naming the largest regression', () => {
    const r = run(AFTER, BEFORE);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/inventory\.audit/);
    expect(r.stderr).toMatch(/^flamelens: \d+ significant regression\(s\) above 10 % of their baseline, the largest .* \+2\.79 s \(\+56\.8 %\)\n$/);
  });

  it('never fails on noise: a profile against itself', () => {
    expect(run(AFTER, AFTER).status).toBe(0);
  });
});
