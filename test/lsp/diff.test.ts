// Comparing with a baseline over real JSON-RPC, on the real before/after pair (the audit fix,
// test/fixtures/pairs/audit-fix): the "after" sources and after.austin shown, before.austin as the
// baseline. Every change shown is checked against an independent reading of both files and the
// pair's answer keys (README there, ±0.05 s).
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineSummary, LineHeatParams, StatusParams } from '../../server/src/protocol';
import { FIXTURES, recorded } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient, type Workspace, hintFigures } from './harness';
import { naiveAustin, type NaiveSample } from './naive-austin';

const PAIR = join(FIXTURES, 'pairs', 'audit-fix');
const BEFORE = join(PAIR, 'before.austin');
const AFTER = join(PAIR, 'after.austin');
const before = naiveAustin(BEFORE);
const after = naiveAustin(AFTER);

/** Seconds of a function's total (once per sample), read independently. */
function fnSeconds(p: { samples: NaiveSample[] }, file: string, name: string): number {
  let v = 0;
  for (const s of p.samples) if (s.frames.some((f) => f.file.endsWith(file) && f.name === name)) v += s.value;
  return v / 1e6;
}

function lineSeconds(p: { samples: NaiveSample[] }, file: string, line: number): number {
  let v = 0;
  for (const s of p.samples) if (s.frames.some((f) => f.file.endsWith(file) && f.line === line)) v += s.value;
  return v / 1e6;
}

/** The signed change in seconds that a text shows (`−2.76 s`, `+3.20 ms`), or undefined. */
function shownDelta(text: string): number | undefined {
  const m = /([+\u2212])(\d+(?:\.\d+)?) (µs|ms|s)\b/.exec(text);
  if (!m) return undefined;
  const scale = m[3] === 's' ? 1 : m[3] === 'ms' ? 1e-3 : 1e-6;
  return (m[1] === '+' ? 1 : -1) * Number(m[2]) * scale;
}

/** The shop workspace with the "after" inventory.py and both profiles, before.austin older. */
function pairWorkspace(extra: Record<string, string | Buffer> = {}): Workspace {
  const ws = makeWorkspace({
    'shop/inventory.py': readFileSync(join(PAIR, 'inventory-after.py')),
    'profiles/before.austin': readFileSync(BEFORE),
    'profiles/after.austin': readFileSync(AFTER),
    ...extra,
  });
  const old = new Date(Date.now() - 3600_000);
  utimesSync(ws.path('shop/inventory.py'), old, old);
  const earlier = new Date(Date.now() - 600_000);
  utimesSync(ws.path('profiles/before.austin'), earlier, earlier);
  return ws;
}

describe('after.austin compared with before.austin (flamelens.baseline), the after sources open', () => {
  let c: TestClient;
  let inventory: string;
  let workers: string;
  let pricing: string;

  beforeAll(async () => {
    c = await TestClient.start(pairWorkspace(), { settings: { refreshInterval: 50, baseline: 'profiles/before.austin' } });
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => !!s.profile?.endsWith('after.austin') && !!s.comparison);
    inventory = await c.open('shop/inventory.py');
    workers = await c.open('shop/workers.py');
    pricing = await c.open('shop/pricing.py');
  });
  afterAll(() => c.dispose());

  it('says in the status what is compared with what, and that the totals differ', () => {
    const s = c.notifications('flamelens/status').pop() as StatusParams;
    expect(s.profile).toMatch(/after\.austin$/);
    expect(s.baseline).toMatch(/before\.austin$/);
    expect(s.comparison).toMatch(/^after\.austin vs before\.austin: CPU time, as recorded/);
    // 12.42 s against 9.84 s: said, not silently normalised
    expect(s.comparison).toMatch(/runs differ in total: 12\.4 s in before\.austin, 9\.84 s in after\.austin \(\u221220\.8 %\)/);
    expect(s.baselineProblem).toBeUndefined();
  });

  it("puts audit's change on its lens: −2.75 s (−99.8 %) vs before.austin", async () => {
    const expected = fnSeconds(after, '/shop/inventory.py', 'audit') - fnSeconds(before, '/shop/inventory.py', 'audit');
    expect(expected).toBeCloseTo(-2.755, 2); // answer key: 2.760 s -> 0.005 s
    const lens = (await c.codeLenses(inventory)).find((l) => l.range.start.line === 16 && l.command?.command === 'flamelens.showCallers');
    const title = lens?.command?.title ?? '';
    expect(title).toMatch(/ · \u22122\.\d\d s \(\u221299\.8 %\) vs before\.austin$/);
    expect(Math.abs(shownDelta(title)! - expected)).toBeLessThanOrEqual(0.05);
  });

  it("puts the change on audit's old hot line, now line 18 (line 16 in the baseline)", async () => {
    const expected = lineSeconds(after, '/shop/inventory.py', 18) - lineSeconds(before, '/shop/inventory.py', 16);
    expect(lineSeconds(after, '/shop/inventory.py', 18)).toBe(0);
    const hint = hintAt(await c.inlayHints(inventory), 17);
    expect(labelOf(hint)).toMatch(/^\u22122\.\d\d s$/);
    expect(Math.abs(shownDelta(hintFigures(labelOf(hint)))! - expected)).toBeLessThanOrEqual(0.05);
    expect(String(hint!.tooltip)).toMatch(/vs before\.austin \(line 16 there\): 2\.76 s → 0 s/);
    // the baseline's line 16 is never put on the current line 16 (audit's docstring-shifted def is 17)
    expect(labelOf(hintAt(await c.inlayHints(inventory), 15))).toBe('');
    const hover = hoverText(await c.hover(inventory, 17));
    expect(hover).toMatch(/line 16 there, 18 here total \| 2\.76 s \| 0 s \| \*\*\u22122\.76 s \(\u2212100\.0 %\)\*\*/);
    expect(hover).toMatch(/Verdict: a real change \(z = \u221249\.6\)\. Shown inline when \|z\| ≥ 3 and the change is at least 5 % of the baseline value and 0\.1 % of its total\./);
  });

  it('shows the changes of Inventory.receive and Inventory.ship on their lenses', async () => {
    const lenses = await c.codeLenses(inventory);
    for (const [name, line] of [['Inventory.receive', 33], ['Inventory.ship', 37]] as const) {
      const expected = fnSeconds(after, '/shop/inventory.py', name) - fnSeconds(before, '/shop/inventory.py', name);
      expect(expected).toBeLessThan(-1.3); // answer keys: 1.390 -> 0.002, 1.376 -> 0.002
      const title = lenses.find((l) => l.range.start.line === line && l.command?.command === 'flamelens.showCallers')?.command?.title ?? '';
      expect(title, name).toMatch(/vs before\.austin$/);
      expect(Math.abs(shownDelta(title)! - expected), name).toBeLessThanOrEqual(0.05);
    }
  });

  it('shows no change on workers.py:12 and pricing.py:28: unchanged code within sampling noise', async () => {
    for (const [uri, line] of [[workers, 11], [pricing, 27]] as const) {
      const hint = hintAt(await c.inlayHints(uri), line);
      expect(hintFigures(labelOf(hint))).toMatch(/^\d+\.\d% · own \d+\.\d%$/);
      expect(String(hint!.tooltip)).not.toMatch(/vs before/);
      // the hover still shows both columns and why nothing is flagged
      const hover = hoverText(await c.hover(uri, line));
      expect(hover).toMatch(/Compared with `before\.austin`/);
      expect(hover).toMatch(/Verdict: within sampling noise/);
    }
    const worker = (await c.codeLenses(workers)).find((l) => l.command?.title.startsWith('3') || l.command?.title.startsWith('4'));
    for (const l of await c.codeLenses(workers)) expect(l.command?.title).not.toMatch(/vs before/);
    expect(worker).toBeDefined();
  });

  it('names what audit no longer calls in its hover', async () => {
    const hover = hoverText(await c.hover(inventory, 16));
    expect(hover).toMatch(/Compared with `before\.austin`/);
    expect(hover).toMatch(/\| total \| 2\.76 s \| 4\.53 ms \| \*\*\u22122\.76 s \(\u221299\.8 %\)\*\*/);
    const m = /no longer called: `inspect.stack` (\u2212[\d.]+ s)/.exec(hover);
    expect(m, hover).not.toBeNull();
    // inspect.stack under audit in the baseline, read independently
    let v = 0;
    for (const s of before.samples) {
      const i = s.frames.findIndex((f) => f.name === 'audit');
      if (i >= 0 && s.frames.slice(i + 1).some((f, j) => j === 0 && f.name === 'stack')) v += s.value;
    }
    expect(Math.abs(shownDelta(m![1])! + v / 1e6)).toBeLessThanOrEqual(0.05);
  });

  it('marks the flagged lines in line heat, with the gone line listed', async () => {
    const heat = await c.lineHeat(inventory, (p) => p.lines.some((l) => l.change));
    const l18 = heat.lines.find((l) => l.line === 17);
    expect(l18).toEqual({ line: 17, heat: 0, level: 0, percent: 0, change: 'improvement' });
    const w = (c.notifications('flamelens/lineHeat') as LineHeatParams[]).filter((p) => p.uri === workers).pop()!;
    expect(w.lines.find((l) => l.line === 11)?.change).toBeUndefined();
  });

  it('goes back to the usual output with "none"', async () => {
    const hintsWith = await c.inlayHints(inventory);
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', 'none');
    expect(r).toEqual({ choice: 'none', path: null, loading: false });
    const hints = await c.inlayHints(inventory);
    expect(hints.length).toBeLessThan(hintsWith.length);
    for (const h of hints) expect(labelOf(h)).not.toMatch(/[+\u2212]\d/);
    for (const l of await c.codeLenses(inventory)) expect(l.command?.title).not.toMatch(/vs before/);
    expect(hoverText(await c.hover(inventory, 16))).not.toMatch(/Compared with/);
  });
});

describe('no baseline set', () => {
  it('gives exactly the output of a server that knows nothing of baselines (no field, no Δ)', async () => {
    const c = await TestClient.start(pairWorkspace(), { settings: { refreshInterval: 50 } });
    try {
      const s = await c.ready('after.austin');
      expect(Object.keys(s).filter((k) => /baseline|comparison/i.test(k))).toEqual([]);
      const inventory = await c.open('shop/inventory.py');
      for (const h of await c.inlayHints(inventory)) expect(hintFigures(labelOf(h))).toMatch(/^\d+\.\d% · own (\d+\.\d|<0\.1)%$/);
      const heat = await c.lineHeat(inventory);
      for (const l of heat.lines) expect(Object.keys(l).sort()).toEqual(['heat', 'line', 'percent']);
    } finally {
      await c.dispose();
    }
  });
});

describe('choosing the baseline with flamelens.selectBaseline', () => {
  let c: TestClient;
  let inventory: string;

  beforeAll(async () => {
    c = await TestClient.start(pairWorkspace({ 'profiles/cpu.austin': readFileSync(recorded('austin3-cpu.austin')) }), { settings: { refreshInterval: 50 } });
    // the newest profile is cpu.austin: show after.austin
    await c.ready();
    await c.command('flamelens.selectProfile', c.ws.path('profiles/after.austin'));
    inventory = await c.open('shop/inventory.py');
  });
  afterAll(() => c.dispose());

  it('asks with window/showMessageRequest when given no argument, offering none, previous and the other profiles', async () => {
    let offered: string[] = [];
    c.pick = (items) => {
      offered = items;
      return items.find((i) => i.endsWith('before.austin'));
    };
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline');
    expect(offered.slice(0, 2)).toEqual(['None (no comparison)', 'The previous profile of this kind']);
    expect(offered).toContain(join('profiles', 'before.austin'));
    expect(offered).not.toContain(join('profiles', 'after.austin'));
    expect(r.path).toBe(c.ws.path('profiles/before.austin'));
    expect(r.comparison).toMatch(/^after\.austin vs before\.austin/);
    const lens = (await c.codeLenses(inventory)).find((l) => l.range.start.line === 16 && l.command?.command === 'flamelens.showCallers');
    expect(lens?.command?.title).toMatch(/vs before\.austin$/);
  });

  it('"previous" is the newest older profile of the same format and metrics', async () => {
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', 'previous');
    expect(r.choice).toBe('previous');
    expect(r.path).toBe(c.ws.path('profiles/before.austin'));
  });

  it('reads a baseline outside the workspace, given by absolute path', async () => {
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', BEFORE);
    expect(r.path).toBe(BEFORE);
    expect(r.problem).toBeUndefined();
    const hint = hintAt(await c.inlayHints(inventory), 17);
    expect(labelOf(hint)).toMatch(/^\u22122\.\d\d s$/);
  });

  it('compares a profile with itself and flags nothing', async () => {
    await c.command('flamelens.selectBaseline', c.ws.path('profiles/after.austin'));
    const workers = await c.open('shop/workers.py');
    const hints = await c.inlayHints(workers);
    expect(hints.length).toBeGreaterThan(0);
    for (const h of hints) expect(labelOf(h)).not.toMatch(/[+\u2212]\d/);
    for (const uri of [inventory, workers]) for (const l of await c.codeLenses(uri)) expect(l.command?.title).not.toMatch(/ vs /);
    expect(hoverText(await c.hover(workers, 11))).toMatch(/Verdict: no change/);
  });

  it('refuses a baseline of another metric with one message and no numbers (cpu against wall)', async () => {
    const from = c.mark();
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', recorded('austin3-wall.austin'));
    expect(r.problem).toBe('cannot compare after.austin with austin3-wall.austin: after.austin is measured in CPU time, austin3-wall.austin records wall time');
    const s = await c.waitForNotification<StatusParams>('flamelens/status', (x) => !!x.baselineProblem, from);
    expect(s.baselineProblem).toBe(r.problem);
    expect(s.comparison).toBeUndefined();
    for (const h of await c.inlayHints(inventory)) expect(labelOf(h)).not.toMatch(/[+\u2212]\d/);
  });

  it('refuses a memory profile as baseline of a CPU profile', async () => {
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', recorded('austin3-mem.austin'));
    expect(r.problem).toMatch(/^cannot compare after\.austin with austin3-mem\.austin: after\.austin is measured in CPU time, austin3-mem\.austin records memory allocated, memory released$/);
  });

  it('compares over all threads only: a narrowed scope is refused, not compared against every thread', async () => {
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', c.ws.path('profiles/before.austin'));
    expect(r.comparison).toBeDefined();
    const from = c.mark();
    await c.command('flamelens.setScope', { thread: 1 });
    const s = await c.waitForNotification<StatusParams>('flamelens/status', (x) => !!x.baselineProblem, from);
    expect(s.baselineProblem).toBe('the baseline is compared over all threads: set the scope to all threads to see the changes');
    for (const l of await c.codeLenses(inventory)) expect(l.command?.title).not.toMatch(/ vs /);
    const again = c.mark();
    await c.command('flamelens.setScope', null);
    const back = await c.waitForNotification<StatusParams>('flamelens/status', (x) => !!x.comparison, again);
    expect(back.baselineProblem).toBeUndefined();
  });

  it('says once that an unreadable baseline cannot be read, and keeps serving', async () => {
    const from = c.mark();
    const r = await c.command<BaselineSummary>('flamelens.selectBaseline', c.ws.path('nowhere/missing.austin'));
    expect(r.problem).toMatch(/missing\.austin: cannot read: no such file \(ENOENT\)/);
    const shown = await c.waitFor((e) => e.method === 'window/showMessage', from);
    expect(JSON.stringify(shown.params)).toMatch(/baseline .*missing\.austin: cannot read: no such file \(ENOENT\)/);
    expect((await c.inlayHints(c.ws.uri('shop/workers.py'))).length).toBeGreaterThan(0);
  });
});
