// The hotspot ranking (core/hotspots.ts) on real recordings, against an independent reading of
// the raw file: the user's work leads, wrappers do not, and every figure is the function's own or
// total exactly.
import { describe, expect, it } from 'vitest';
import { fuzzyMatch, rankHotspots } from '../server/src/core/hotspots';
import { loadProfile } from '../server/src/core/load';
import { qualifiedName } from '../server/src/core/present';
import { ProfileView } from '../server/src/core/view';
import { recorded } from './helpers/paths';
import { functionShares, naiveAustin } from './lsp/naive-austin';

const SHOP = '/home/dev/shop/';

async function ranked(file: string) {
  const { profile } = await loadProfile(recorded(file));
  const view = ProfileView.create(profile, profile.defaultMetric(), {}, file);
  return { view, list: rankHotspots(view, (fn) => fn.file.startsWith(SHOP)) };
}

describe('rankHotspots', () => {
  it('puts audit first in the pytest recording, by its total, and no pass-through wrapper in the top ten', async () => {
    const { view, list } = await ranked('austin3-pytest.austin');
    const naive = naiveAustin(recorded('austin3-pytest.austin'));
    // answer key: inventory.audit incl 76.59 %, 99.5 % of it under inspect.stack
    expect(list[0].fn.name).toBe('audit');
    expect(list[0].by).toBe('total');
    expect(view.percent(list[0].value)).toBeCloseTo(functionShares(naive, '/shop/inventory.py', 'audit').total, 6);
    expect(view.percent(list[0].value)).toBeCloseTo(76.59, 1);
    expect(qualifiedName(list[1].fn.name, list[1].fn.file)).toBe('inspect.stack');
    // pytest's own frames wrap every test (near 100 % total each): none of them leads
    for (const h of list.slice(0, 10)) {
      const share = functionShares(naive, h.fn.file, h.fn.name);
      expect(share.total, h.fn.name).toBeLessThan(80);
      expect(h.fn.file.includes('_pytest') || h.fn.file.includes('pluggy')).toBe(false);
    }
  });

  it('ranks each function by its own or its total exactly, highest first, each function once', async () => {
    const { view, list } = await ranked('austin3-cpu.austin');
    const naive = naiveAustin(recorded('austin3-cpu.austin'));
    const ids = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      const h = list[i];
      expect(ids.has(h.fn.id)).toBe(false);
      ids.add(h.fn.id);
      expect(h.value).toBe(h.by === 'own' ? h.own : h.total);
      if (i > 0) expect(h.value).toBeLessThanOrEqual(list[i - 1].value);
      if (i < 40 && h.fn.file !== '') {
        const n = functionShares(naive, h.fn.file, h.fn.name);
        expect(view.percent(h.own)).toBeCloseTo(n.own, 6);
        expect(view.percent(h.total)).toBeCloseTo(n.total, 6);
      }
    }
    const by = (name: string) => list.find((h) => h.fn.name === name)!;
    // the wrappers every sample passes through rank by their own time, near nothing (runpy's are
    // frozen modules: no source, not listed at all)
    expect(list.some((h) => h.fn.file.includes('runpy'))).toBe(false);
    for (const name of ['main', 'Thread.run', 'restock', 'price_basket', 'do_inventory']) {
      expect(by(name)?.by, name).toBe('own');
    }
    expect(by('audit').by).toBe('total');
    expect(by('line_total').by).toBe('own');
    expect(list.findIndex((h) => h.fn.name === 'audit')).toBeLessThan(5);
  });
});

describe('fuzzyMatch', () => {
  it('matches the query\'s characters in order, any case, as editors filter symbols', () => {
    expect(fuzzyMatch('', 'anything')).toBe(true);
    expect(fuzzyMatch('invaud', 'inventory.audit')).toBe(true);
    expect(fuzzyMatch('AUDIT', 'inventory.audit')).toBe(true);
    expect(fuzzyMatch('line total', 'pricing.line_total')).toBe(true);
    expect(fuzzyMatch('tidua', 'inventory.audit')).toBe(false);
    expect(fuzzyMatch('auditx', 'inventory.audit')).toBe(false);
  });
});
