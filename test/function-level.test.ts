import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';
import { pstatsTable } from '../server/src/core/readers/pstats';
import { FIXTURES } from './helpers/paths';

// pstats records cumulative times the call tree cannot hold: aggregation must hand out the
// format's own numbers, so the CLI and the server need no special case.
describe('function-level data recorded by the format (pstats)', () => {
  it('function totals and callers are pstats cumulative times', async () => {
    const { profile } = await loadProfile(`${FIXTURES}/generated/shop-pricing.pstats`);
    const table = pstatsTable(profile)!;
    expect(table.functions.size).toBeGreaterThan(10);
    const agg = aggregate(profile, {}, 'time');
    expect(agg.total).toBeCloseTo(table.totalTime, 9);
    let checked = 0;
    for (const [id, fn] of table.functions) {
      // capped at the profile's total: exec's recorded 7.7439282 s passes Σ tt (7.7439273 s) by a
      // hair, and a share above 100 % cannot be true (readers/pstats.ts, TOTAL_SLACK)
      expect(agg.funcTotal[id]).toBe(Math.min(fn.total, agg.total));
      expect(agg.funcOwn[id]).toBeCloseTo(fn.own, 9);
      const callers = agg.callers(id);
      const expected = fn.callers.filter((c) => c.total > 0).map((c) => c.total).sort((a, b) => b - a);
      expect(callers.map((c) => c.value)).toEqual(expected);
      expect(callers.map((c) => c.funcId).sort()).toEqual(fn.callers.filter((c) => c.total > 0).map((c) => c.funcId).sort());
      checked++;
    }
    expect(checked).toBe(table.functions.size);
    // the hottest function by cumulative time is the entry point, near 100 % of the run
    const top = agg.topFunctions('total', 1)[0];
    expect(agg.percent(agg.funcTotal[top])).toBeGreaterThan(90);
    const calls = aggregate(profile, {}, 'calls');
    for (const [id, fn] of table.functions) expect(calls.funcTotal[id]).toBe(fn.calls);
  });
});
