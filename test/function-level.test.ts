import { describe, expect, it } from 'vitest';
import { loadProfile } from '../server/src/core/load';
import { ProfileView } from '../server/src/core/view';
import { FIXTURES } from './helpers/paths';
import { hasPython, pythonStats } from './helpers/python-pstats';

// pstats records cumulative times the call tree cannot hold: the engine's function totals and
// callers must be the format's own numbers, checked against CPython's pstats.Stats on the same file.
describe.skipIf(!hasPython)(`function-level data recorded by the format (pstats)${hasPython ? '' : ' [skipped: no python3 with pstats]'}`, () => {
  it('function totals and callers are those of pstats.Stats', async () => {
    const file = `${FIXTURES}/generated/shop-pricing.pstats`;
    const { profile } = await loadProfile(file);
    const view = ProfileView.create(profile, 'time', {}, 'shop-pricing.pstats');
    const rows = pythonStats(file);
    // pstats' total is the sum of own (tt) times
    expect(view.total).toBeCloseTo(rows.reduce((s, r) => s + r[5], 0), 9);
    const byKey = new Map(view.topFunctions('total').rows.map((r) => [`${r.fn.file}:${r.fn.defLine}:${r.fn.name}`, r]));
    // pstats keys as the engine names them: built-ins ('~', 0) have no file; a name defined twice in
    // one file carries its line
    const keyOf = (file: string, line: number, name: string): string => {
      const k = file === '~' ? `:0:${name}` : `${file}:${line}:${name}`;
      return byKey.has(k) || file === '~' ? k : `${file}:${line}:${name} (line ${line})`;
    };
    let checked = 0;
    for (const [file_, line, name, , , tt, ct, callers] of rows) {
      const fn = byKey.get(keyOf(file_, line, name));
      if (!fn) {
        expect(ct, `${file_}:${line}(${name}) missing`).toBe(0);
        continue;
      }
      // a recorded total a hair above the whole profile (exec, by 1e-6 s) is capped at 100 %
      expect(fn.total, name).toBeCloseTo(Math.min(ct, view.total), 9);
      expect(fn.own, name).toBeCloseTo(tt, 9);
      const got = view
        .callers(fn.fn.id)
        .map((c) => [`${view.fn(c.funcId).file}:${view.fn(c.funcId).defLine}:${view.fn(c.funcId).name}`, c.value] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const want = callers
        .filter((c) => c[6] > 0)
        .map((c) => [keyOf(c[0], c[1], c[2]), c[6]] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(got.map((x) => x[0]), name).toEqual(want.map((x) => x[0]));
      got.forEach((g, i) => expect(g[1]).toBeCloseTo(want[i][1], 9));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // the hottest function by cumulative time is the entry point, near 100 % of the run
    expect(view.percent(view.topFunctions('total', 1).rows[0].total)).toBeGreaterThan(90);
  });
});
