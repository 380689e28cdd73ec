// The core of the comparison (server/src/core/diff.ts): the noise test on hand-worked numbers and
// its calibration on simulated runs, the lines of the real audit-fix pair carried through their
// functions, file matching, and what is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pythonDefinitions } from '../server/src/core/definitions';
import {
  baselineMetric,
  countsView,
  DEFAULT_DIFF_SETTINGS,
  type DiffSettings,
  formatDelta,
  matchRecordedFiles,
  ProfileDiff,
  testChange,
  type TestContext,
} from '../server/src/core/diff';
import { loadProfile } from '../server/src/core/load';
import { metric, Profile } from '../server/src/core/model';
import { ProfileView } from '../server/src/core/view';
import { FIXTURES, recorded } from './helpers/paths';
import { naiveAustin } from './lsp/naive-austin';
import { prng as rng } from './helpers/prng';

const PAIR = join(FIXTURES, 'pairs', 'audit-fix');
const INV = '/home/dev/shop/shop/inventory.py';

const ctx = (over: Partial<TestContext> = {}): TestContext => ({
  settings: DEFAULT_DIFF_SETTINGS,
  floor: 0,
  hasCounts: true,
  format: (d) => String(d),
  shares: false,
  ...over,
});

function side(view: ProfileView) {
  return { view, counts: countsView(view) };
}

function diffOf(base: ProfileView, current: ProfileView, settings?: DiffSettings): ProfileDiff {
  const d = ProfileDiff.create(side(base), side(current), { settings });
  if ('refused' in d) throw new Error(d.refused);
  return d;
}

describe('the noise test', () => {
  it('is the test of two Poisson counts when every sample carries the same value', () => {
    // 100 samples of 10 against 150: (150 - 100) / sqrt(100 + 150)
    const c = testChange(1000, 100, 1500, 150, ctx());
    expect(c.z).toBeCloseTo(50 / Math.sqrt(250), 10);
    expect(c).toMatchObject({ delta: 500, percent: 50, significant: true, direction: 'slower' });
  });

  it('weighs each run by its own values: 1000 over 100 samples against 1200 over 120', () => {
    const c = testChange(1000, 100, 1200, 120, ctx());
    expect(c.z).toBeCloseTo(200 / Math.sqrt(1000 ** 2 / 100 + 1200 ** 2 / 120), 10);
    expect(c.significant).toBe(false);
    expect(c.verdict).toBe('within sampling noise (z = 1.3, |z| < 3)');
  });

  it('needs the minimum effect too: a real but small change is not flagged', () => {
    // 100,000 samples: +3 % is far beyond noise, but under 5 % of the base
    const c = testChange(100_000, 100_000, 103_000, 103_000, ctx());
    expect(Math.abs(c.z!)).toBeGreaterThan(3);
    expect(c.significant).toBe(false);
    expect(c.verdict).toMatch(/^real \(z = 6\.7\) but smaller than the minimum effect \(5 % of the baseline\)$/);
    // and the floor, whatever the base: a new function of 20 samples when 50 are needed
    const n = testChange(0, 0, 20, 20, ctx({ floor: 50, format: (d) => `${d} samples` }));
    expect(n).toMatchObject({ percent: null, significant: false, verdict: 'real (z = 4.5) but smaller than the minimum effect (50 samples)' });
  });

  it('is not run without sample counts', () => {
    const c = testChange(100, 0, 300, 0, ctx({ hasCounts: false, noCounts: 'x.pstats' }));
    expect(c).toMatchObject({ z: null, significant: false, direction: 'same', verdict: 'not tested: x.pstats records no sample counts' });
  });

  it('writes changes with a real minus and an explicit plus', () => {
    expect(formatDelta(-2755203, 'microseconds')).toBe('\u22122.76 s');
    expect(formatDelta(207008, 'microseconds')).toBe('+207 ms');
    expect(formatDelta(12.1, 'points')).toBe('+12.1 pp');
  });
});


function poisson(mean: number, r: () => number): number {
  if (mean > 50) {
    // normal approximation (Box-Muller), rounded: exact enough for counts this large
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

/**
 * One simulated sampling run: each stack (main -> f<i> at one of its lines, some calling a shared
 * helper) is hit a Poisson number of times, each sample worth about 1 ms of CPU time (±10 %).
 */
function simulate(weights: readonly number[], expected: number, seed: number): ProfileView {
  const r = rng(seed);
  const p = new Profile();
  p.setMetrics([metric('cpu'), metric('samples')]);
  const t = p.thread('1', '1');
  const sum = weights.reduce((a, b) => a + b, 0);
  const main = p.frame('/app/m.py', 'main', 2);
  weights.forEach((w, i) => {
    const n = poisson((expected * w) / sum, r);
    const fn = `f${Math.floor(i / 2)}`;
    const line = 10 + 10 * Math.floor(i / 2) + (i % 2) + 1;
    const frames = [main, p.frame('/app/m.py', fn, line)];
    if (i % 3 === 0) frames.push(p.frame('/app/util.py', 'helper', 5));
    const node = p.path(t, frames, frames.length);
    for (let k = 0; k < n; k++) p.add(node, [1000 * (0.9 + 0.2 * r()), 1]);
  });
  return ProfileView.create(p, 'cpu', {}, `run-${seed}`);
}

describe('calibration: two runs drawn from the same distribution', () => {
  it('flag (almost) nothing, by function and by line', () => {
    let compared = 0;
    let flagged = 0;
    let beyond = 0;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 4, maxLength: 24 }),
        fc.integer({ min: 2_000, max: 40_000 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (weights, expected, seed) => {
          const d = diffOf(simulate(weights, expected, seed), simulate(weights, expected, seed + 1));
          const keys = [...d.functions(), ...d.fileLines(['/app/m.py'], ['/app/m.py']).lines.values()];
          const hits = keys.filter((k) => k.significant).length;
          compared += keys.length;
          flagged += hits;
          beyond += keys.filter((k) => Math.abs(k.z!) >= 3).length;
          // a single run may be unlucky once; never more
          return hits <= 1;
        },
      ),
      { seed: 20240613, numRuns: 120 },
    );
    expect(compared).toBeGreaterThan(2000);
    // the test alone: about the nominal 0.27 % of unchanged keys pass |z| >= 3 (not a test that never fires)
    expect(beyond / compared).toBeLessThan(0.006);
    expect(beyond).toBeGreaterThan(0);
    // flagged needs the minimum effect too, which removes most of those
    expect(flagged / compared).toBeLessThan(0.003);
    expect(flagged).toBeLessThanOrEqual(beyond);
  });

  it('while a function whose cost doubled is always flagged, slower, by about the right amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
        const weights = [1, 1, 1, 1, 1, 1, 1, 1];
        const doubled = weights.map((w, i) => (i === 2 || i === 3 ? 2 * w : w));
        const d = diffOf(simulate(weights, 8000, seed), simulate(doubled, 10_000, seed + 1));
        const f1 = d.functions().find((f) => f.name === 'f1')!;
        return f1.significant && f1.direction === 'slower' && Math.abs(f1.percent! - 100) < 15;
      }),
      { seed: 7, numRuns: 30 },
    );
  });
});

describe('the audit-fix pair', () => {
  let before: ProfileView;
  let after: ProfileView;
  let diff: ProfileDiff;
  const defs = pythonDefinitions(readFileSync(join(PAIR, 'inventory-after.py'), 'utf8'));

  beforeAll(async () => {
    before = ProfileView.create((await loadProfile(join(PAIR, 'before.austin'))).profile, 'cpu', {}, 'before.austin');
    after = ProfileView.create((await loadProfile(join(PAIR, 'after.austin'))).profile, 'cpu', {}, 'after.austin');
    diff = diffOf(before, after);
  });

  it('carries inventory.py line 16 to line 18 through audit, with the after source', () => {
    const fl = diff.fileLines([INV], [INV], defs);
    expect(Object.fromEntries(fl.shifts)).toEqual({
      '<module>': { shift: 2, how: 'calls' },
      'Inventory.receive': { shift: 2, how: 'calls' },
      audit: { shift: 2, how: 'neighbours' },
      'Inventory.ship': { shift: 2, how: 'neighbours' },
      restock: { shift: 2, how: 'neighbours' },
    });
    const l18 = fl.lines.get(18)!;
    // independent reading: line 16's total before, line 18's after (none)
    const b = naiveAustin(join(PAIR, 'before.austin'));
    const at16 = b.samples.filter((s) => s.frames.some((f) => f.file === INV && f.line === 16)).reduce((a, s) => a + s.value, 0);
    expect(l18).toMatchObject({ line: 18, baseLine: 16, owner: 'audit', base: at16, current: 0, significant: true, direction: 'faster' });
    expect(fl.lines.get(16)).toBeUndefined();
    expect(fl.unplaced).toEqual([]);
  });

  it('without the source, leaves audit to the function level rather than guess', () => {
    const fl = diff.fileLines([INV], [INV]);
    expect(fl.shifts.get('audit')).toEqual({ shift: undefined, how: 'ambiguous' });
    expect(fl.shifts.get('Inventory.receive')).toEqual({ shift: 2, how: 'calls' });
    expect(fl.lines.has(18)).toBe(false);
    expect(fl.lines.has(16)).toBe(false);
    expect(fl.unplaced.map((u) => u.line)).toEqual(expect.arrayContaining([16, 17]));
  });

  it('places unchanged code that did not move by the shape of its samples (workers.checksum)', () => {
    const w = '/home/dev/shop/shop/workers.py';
    const fl = diff.fileLines([w], [w]);
    expect(fl.shifts.get('checksum')).toEqual({ shift: 0, how: 'shape' });
    expect(fl.lines.get(12)).toMatchObject({ baseLine: 12, significant: false });
  });

  it('never carries a line out of its function: a body that no longer fits stays unplaced', () => {
    // the after source with audit's body cut to its def line: no shift keeps lines 16-17 inside it
    const cut = defs.map((d) => (d.qualname === 'audit' ? { ...d, endLine: d.line } : d));
    const fl = diff.fileLines([INV], [INV], cut);
    expect(fl.shifts.get('audit')!.shift).toBeUndefined();
    expect([...fl.lines.values()].filter((l) => l.owner === 'audit' && l.baseLine > 0)).toEqual([]);
  });

  it('offers per-sample normalisation and shares, saying so', () => {
    const ps = diffOf(before, after, { ...DEFAULT_DIFF_SETTINGS, compare: 'perSample' });
    expect(ps.perSampleFactor).toBeCloseTo(8117 / 10042, 10);
    expect(ps.note).toBe("normalised per sample: before.austin's values × 0.808 (8,117 samples against 10,042)");
    const sh = diffOf(before, after, { ...DEFAULT_DIFF_SETTINGS, compare: 'share' });
    const worker = sh.functions().find((f) => f.name === 'worker')!;
    // the README's lesson: 37.54 % -> 49.59 %, a 12-point "regression" of unchanged code
    expect(worker.base).toBeCloseTo(37.54, 1);
    expect(worker.current).toBeCloseTo(49.59, 1);
    expect(worker.significant).toBe(true);
    expect(diff.functions().find((f) => f.name === 'worker')!.significant).toBe(false);
  });
});

describe('what can be compared', () => {
  it('refuses CPU time against wall time, and time against memory', async () => {
    const cpu = (await loadProfile(recorded('austin3-cpu.austin'))).profile;
    const wall = (await loadProfile(recorded('austin3-wall.austin'))).profile;
    const mem = (await loadProfile(recorded('austin3-mem.austin'))).profile;
    expect(baselineMetric(wall, 'w.austin', cpu.metrics[0], 'c.austin')).toEqual({
      refused: 'cannot compare c.austin with w.austin: c.austin is measured in CPU time, w.austin records wall time',
    });
    expect(baselineMetric(mem, 'm.austin', cpu.metrics[0], 'c.austin')).toEqual({
      refused: 'cannot compare c.austin with m.austin: c.austin is measured in CPU time, m.austin records memory allocated, memory released',
    });
    const views = [ProfileView.create(cpu, 'cpu', {}, 'c'), ProfileView.create(wall, 'wall', {}, 'w')];
    expect(ProfileDiff.create(side(views[1]), side(views[0]))).toEqual({ refused: 'cannot compare c with w: CPU time against wall time' });
  });

  it('converts units of the same kind (a baseline in ns against a run in µs)', () => {
    const mk = (unit: 'nanoseconds' | 'microseconds', v: number) => {
      const p = new Profile();
      p.setMetrics([{ key: 'cpu', label: 'CPU time', unit }, metric('samples')]);
      const t = p.thread('1', '1');
      p.add(p.path(t, [p.frame('/a.py', 'f', 1)], 1), [v, 10]);
      return ProfileView.create(p, 'cpu', {}, unit);
    };
    const d = diffOf(mk('nanoseconds', 5_000_000), mk('microseconds', 5_000));
    expect(d.functions()[0]).toMatchObject({ base: 5000, current: 5000, delta: 0 });
  });

  it('refuses per-sample normalisation without sample counts, and tests nothing then', () => {
    const mk = (v: number) => {
      const p = new Profile();
      p.setMetrics([metric('cpu')]);
      const t = p.thread('1', '1');
      p.add(p.path(t, [p.frame('/a.py', 'f', 1)], 1), [v]);
      return ProfileView.create(p, 'cpu', {}, `r${v}`);
    };
    expect(ProfileDiff.create(side(mk(1)), side(mk(2)), { settings: { ...DEFAULT_DIFF_SETTINGS, compare: 'perSample' } })).toEqual({
      refused: 'per-sample normalisation needs sample counts, which r1 does not record',
    });
    expect(diffOf(mk(100), mk(900)).functions()[0]).toMatchObject({ z: null, significant: false, verdict: 'not tested: r100 records no sample counts' });
  });
});

describe('matchRecordedFiles', () => {
  it('pairs a CI path with the local one by the longest unique suffix, and leaves ties alone', () => {
    const m = matchRecordedFiles(
      ['/ci/build/shop/pricing.py', '/ci/build/shop/__init__.py', '/ci/build/lib/__init__.py', '/usr/lib/python3.11/json/encoder.py', '<frozen runpy>'],
      ['/home/dev/shop/pricing.py', '/home/dev/shop/__init__.py', '/home/dev/other/__init__.py', '/usr/lib/python3.11/json/encoder.py', '<frozen runpy>'],
    );
    expect(Object.fromEntries(m)).toEqual({
      '/ci/build/shop/pricing.py': '/home/dev/shop/pricing.py',
      '/ci/build/shop/__init__.py': '/home/dev/shop/__init__.py',
      '/usr/lib/python3.11/json/encoder.py': '/usr/lib/python3.11/json/encoder.py',
      '<frozen runpy>': '<frozen runpy>',
    });
  });
});
