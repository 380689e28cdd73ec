// A profile written while the server watches it, and sources edited while annotated.
import { appendFileSync, readFileSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregate } from '../../server/src/core/aggregate';
import { formatPercent } from '../../server/src/core/format';
import { loadProfile } from '../../server/src/core/load';
import { nameFrom } from '../../server/src/core/present';
import type { StatusParams } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';

const CPU = recorded('austin3-cpu.austin');

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

/** Expected hint labels of pricing.py from a one-shot read of the whole file. */
async function oneShotLabels(file: string): Promise<Map<number, string>> {
  const { profile } = await loadProfile(file);
  const agg = aggregate(profile);
  const out = new Map<number, string>();
  for (let id = 0; id < profile.lineCount; id++) {
    const k = profile.lineKey(id);
    if (!k.file.endsWith('/shop/pricing.py') || agg.percent(agg.lineTotal[id]) < 0.5) continue;
    // a line with no own time names where its time goes (pricing.py:46 calls best_discount)
    const callee = agg.lineOwn[id] === 0 ? agg.lineCallees(id)[0] : undefined;
    const tail = callee
      ? `${callee.value / agg.lineTotal[id] >= 0.995 ? '' : `${Math.round((callee.value / agg.lineTotal[id]) * 100)}% `}in ${nameFrom(profile.functionAt(callee.funcId).name, profile.functionAt(callee.funcId).file, k.file)}`
      : `own ${formatPercent(agg.percent(agg.lineOwn[id]))}`;
    const total = formatPercent(agg.percent(agg.lineTotal[id]));
    // a leaf line's total is all its own: said once
    out.set(k.line - 1, `${total} · ${tail === `own ${total}` ? 'all own' : tail}`);
  }
  return out;
}

describe('a profile that grows while it is watched', () => {
  it('is read incrementally, refreshes the editor, and ends equal to a one-shot read', async () => {
    const bytes = readFileSync(CPU);
    // Arbitrary cut points, several of them inside a line (and one inside the split record at 1477).
    const cuts = [37, 1000, 150_001, 400_003, 777_777, 1_200_000, 1_650_123, bytes.length];
    expect(bytes.subarray(0, 150_001).toString('latin1').endsWith('\n')).toBe(false);
    const ws = makeWorkspace({ 'live.austin': bytes.subarray(0, cuts[0]) });
    // 300 ms between refreshes: the file counts as finished only after 3 s without growth
    c = await TestClient.start(ws, { settings: { refreshInterval: 300 } });
    const uri = await c.open('shop/pricing.py');
    let refreshes = 0;
    for (let i = 1; i < cuts.length; i++) {
      const from = c.mark();
      appendFileSync(ws.path('live.austin'), bytes.subarray(cuts[i - 1], cuts[i]));
      if (cuts[i] < 1000) continue; // header only: nothing to show yet
      await c.waitForRequest('workspace/inlayHint/refresh', from);
      refreshes++;
    }
    expect(refreshes).toBeGreaterThanOrEqual(cuts.length - 2);
    const { profile } = await loadProfile(CPU);
    const samples = profile.metricSum('samples');
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.samples === samples && !s.loading);
    const expected = await oneShotLabels(CPU);
    const hints = await c.inlayHints(uri);
    expect(new Map(hints.map((h) => [h.position.line, labelOf(h)]))).toEqual(expected);
    // nothing was reported: the half-written records only waited for their end
    expect(c.notifications('window/showMessage')).toEqual([]);
  });

  it('reads a file truncated and rewritten from the start', async () => {
    const wall = readFileSync(recorded('austin3-wall.austin'));
    const ws = makeWorkspace({ 'run.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready('run.austin');
    const from = c.mark();
    // the same file name now holds a wall-time recording: a new run, not growth
    ws.write('run.austin', wall);
    const { profile } = await loadProfile(recorded('austin3-wall.austin'));
    const s = await c.waitForNotification<StatusParams>('flamelens/status', (x) => x.metric === 'wall' && !x.loading && x.samples === profile.metricSum('samples'), from);
    expect(s.profile).toBe(ws.path('run.austin'));
    const uri = await c.open('shop/pricing.py');
    // answer key: pricing.py:28 own 5.87 % of wall time
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/· own 5\.9%$/);
  });
});

describe('a profile deleted while active', () => {
  it('gives way to the next newest profile', async () => {
    const ws = makeWorkspace({ 'old.austin': readFileSync(recorded('austin3-wall.austin')) });
    ws.write('new.austin', readFileSync(CPU));
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready('new.austin');
    const uri = await c.open('shop/pricing.py');
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/own 14\.1%$/);
    const from = c.mark();
    unlinkSync(ws.path('new.austin'));
    await c.ready('old.austin', from);
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/own 5\.9%$/);
  });
});

describe('annotations follow edits', () => {
  it('moves a hint down when lines are inserted above it and drops it when its line is deleted', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    const before = labelOf(hintAt(await c.inlayHints(uri), 27));
    expect(before).toBe('14.1% · all own');
    const lensBefore = (await c.codeLenses(uri)).find((l) => l.command?.title.includes('total') && l.range.start.line === 24);
    expect(lensBefore).toBeDefined();

    // three lines inserted at the top of line_total's body (line 26)
    await c.change(uri, { start: { line: 25, character: 0 }, end: { line: 25, character: 0 } }, '    # a\n    # b\n    # c\n');
    const moved = await c.inlayHints(uri);
    expect(hintAt(moved, 27)).toBeUndefined();
    expect(labelOf(hintAt(moved, 30))).toBe(before);
    // the lens of line_total stays on its def line (above the insertion)
    expect((await c.codeLenses(uri)).some((l) => l.command?.title === lensBefore!.command!.title && l.range.start.line === 24)).toBe(true);

    // delete the hot line (now line 30)
    await c.change(uri, { start: { line: 30, character: 0 }, end: { line: 31, character: 0 } }, '');
    const after = await c.inlayHints(uri);
    expect(after.some((h) => labelOf(h) === before)).toBe(false);
    expect(hintAt(after, 30)).toBeUndefined();
    // the for loop above it (line 27, now 29) keeps its hint
    expect(hintAt(after, 29)).toBeDefined();
  });

  it('calls a source stale only on evidence, never on modification times alone', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    // a fresh checkout gives every file a new mtime: that says nothing about the numbers
    ws.write('shop/pricing.py', readFileSync(ws.path('shop/pricing.py'), 'utf8'));
    expect(JSON.stringify(await c.hover(uri, 27))).not.toMatch(/stale/);
  });

  it('notes a file whose functions moved away from the recorded lines, and lines past its end', async () => {
    const ws = makeWorkspace({ 'wall.austin': readFileSync(recorded('austin1-wall.austin')) });
    // pricing.py with ten lines added at the top: line_total is now defined at 35, not 25
    ws.write('shop/pricing.py', '#\n'.repeat(10) + readFileSync(ws.path('shop/pricing.py'), 'utf8'));
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const pricing = await c.open('shop/pricing.py');
    const hint = (await c.inlayHints(pricing))[0];
    expect(JSON.stringify(await c.hover(pricing, hint.position.line))).toMatch(/Possibly stale: the functions it names are not defined around the lines it records/);
    // Austin 1.0.1 reported memory.py:263 in a 26-line file (answer key)
    const memory = await c.open('shop/memory.py');
    const m = (await c.inlayHints(memory))[0];
    expect(hoverText(await c.hover(memory, m.position.line))).toMatch(/Possibly stale: the profile records line 263 past the end of the file \\\(2\d lines/);
  });

});
