import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_LINE_TOTALS } from '../../server/src/core/present';
import { FIXTURES, recorded, WORKLOADS } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient } from './harness';

// What a format lacks is never invented (issue 5): .cpuprofile has no per-line totals, pstats
// nothing per line at all. Hints, hovers and lenses show what the file has.
let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

describe('formats without per-line totals', () => {
  it('.cpuprofile: hints and hovers give own samples only, and say why', async () => {
    const ws = makeWorkspace({ 'p/node-cpu.cpuprofile': readFileSync(recorded('node-cpu.cpuprofile')) }, { sources: false });
    cpSync(join(WORKLOADS, 'js'), ws.path('js'), { recursive: true });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, metric: 'samples' } });
    await c.ready();
    const uri = await c.open('js/checkout.js', 'javascript');
    // Independent: position ticks at checkout.js:17 over the profile's samples
    const prof = JSON.parse(readFileSync(recorded('node-cpu.cpuprofile'), 'utf8')) as {
      nodes: { callFrame: { url: string }; positionTicks?: { line: number; ticks: number }[] }[];
      samples: number[];
    };
    let ticks = 0;
    for (const n of prof.nodes) {
      if (!n.callFrame.url.endsWith('/checkout.js')) continue;
      for (const t of n.positionTicks ?? []) if (t.line === 17) ticks += t.ticks;
    }
    const expected = (ticks / prof.samples.length) * 100;
    const hints = await c.inlayHints(uri);
    const label = labelOf(hintAt(hints, 16));
    expect(label).toMatch(/^own \d/);
    expect(Math.abs(parseFloat(label.slice(4)) - expected)).toBeLessThanOrEqual(0.1);
    for (const h of hints) expect(labelOf(h)).not.toMatch(/total|·/);
    const hover = hoverText(await c.hover(uri, 16));
    expect(hover).toContain(NO_LINE_TOTALS.slice(0, 40));
    expect(hover).not.toMatch(/\*\* total/);
  });

  it('pstats: no line hints; lenses carry cProfile cumulative times', async () => {
    const ws = makeWorkspace({ 'run.pstats': readFileSync(join(FIXTURES, 'generated', 'shop-pricing.pstats')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    const s = await c.ready();
    expect(s.format).toBe('pstats');
    const uri = await c.open('shop/pricing.py');
    expect(await c.inlayHints(uri)).toEqual([]);
    const text = readFileSync(ws.path('shop/pricing.py'), 'utf8').split('\n');
    const lens = (await c.codeLenses(uri)).find((l) => text[l.range.start.line].startsWith('def line_total') && l.command?.command === 'flamelens.showCallers');
    // generated/README.md: line_total ct 7.1859 s of Σtt 7.7439 s = 92.79 %; all from best_discount
    expect(lens?.command?.title).toMatch(/^92\.8% total · 92\.8% own · callers: best_discount 100%/);
    const pb = (await c.codeLenses(uri)).find((l) => text[l.range.start.line].startsWith('def price_basket') && l.command?.command === 'flamelens.showCallers');
    // price_basket: ct 7.5229 s / 7.7439 s = 97.1 % total, almost no own time
    expect(pb?.command?.title).toMatch(/^97\.1% total · 0\.1% own/);
  });
});
