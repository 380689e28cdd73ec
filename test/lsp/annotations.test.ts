// Hints, lenses and hovers on a real recording over a real JSON-RPC connection, checked against
// an independent reading of the same file.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';
import { callerShares, lineShares, naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const cpu = naiveAustin(CPU);

describe('a workspace holding the shop sources and a CPU recording made under /home/dev/shop', () => {
  let c: TestClient;
  let pricing: string;
  let inventory: string;

  beforeAll(async () => {
    const ws = makeWorkspace({ 'profiles/austin3-cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready('austin3-cpu.austin');
    pricing = await c.open('shop/pricing.py');
    inventory = await c.open('shop/inventory.py');
  });
  afterAll(() => c.dispose());

  it('shows the line total of pricing.py:28 and its own share (answer key 14.13 %)', async () => {
    const expected = lineShares(cpu, '/shop/pricing.py', 28);
    expect(expected.own).toBeCloseTo(14.13, 1);
    const hint = hintAt(await c.inlayHints(pricing), 27);
    expect(hint).toBeDefined();
    expect(hintFigures(labelOf(hint))).toBe(`${expected.total.toFixed(1)}% · own ${expected.own.toFixed(1)}%`);
    expect(hint!.paddingLeft).toBe(true);
    // at the end of the line
    expect(hint!.position.character).toBe('        total += item.unit_price * factor'.length);
    expect(String(hint!.tooltip)).toMatch(/CPU time/);
    expect(String(hint!.tooltip)).toMatch(/ms|s/);
  });

  it('maps frames recorded under /home/dev/shop into the temporary workspace', async () => {
    const hints = await c.inlayHints(pricing);
    expect(hints.length).toBeGreaterThan(2);
    // every hint is at or above the default threshold of 0.5 %
    for (const h of hints) expect(parseFloat(labelOf(h))).toBeGreaterThanOrEqual(0.5);
  });

  it('puts a lens on audit that names its callers with their share of audit', async () => {
    const lenses = await c.codeLenses(inventory);
    const audit = lenses.find((l) => l.range.start.line === 14 && l.command?.title.includes('total'));
    expect(audit, JSON.stringify(lenses.map((l) => [l.range.start.line, l.command?.title]))).toBeDefined();
    const expected = callerShares(cpu, '/shop/inventory.py', 'audit').slice(0, 3);
    expect(expected.length).toBeGreaterThan(1);
    const title = audit!.command!.title;
    const callersText = title.slice(title.indexOf('callers: ') + 'callers: '.length);
    const shown = callersText.split(', ').map((s) => ({ name: s.slice(0, s.lastIndexOf(' ')), share: parseFloat(s.slice(s.lastIndexOf(' ') + 1)) }));
    expect(shown.map((s) => s.name)).toEqual(expected.map((e) => e.name));
    shown.forEach((s, i) => expect(Math.abs(s.share - expected[i].share)).toBeLessThanOrEqual(0.5));
    // and audit's total share (answer key: 20.77 %)
    expect(title).toMatch(/^20\.[78]% total/);
  });

  it('offers one lens per caller that opens its call site', async () => {
    const lenses = await c.codeLenses(inventory);
    const nav = lenses.filter((l) => l.range.start.line === 14 && l.command?.command === 'flamelens.openCallSite');
    expect(nav.length).toBeGreaterThan(0);
    const from = c.mark();
    const ok = await c.command<boolean>(nav[0].command!.command, ...(nav[0].command!.arguments ?? []));
    expect(ok).toBe(true);
    const req = await c.waitForRequest('window/showDocument', from);
    const p = req.params as { uri: string; selection: { start: { line: number } } };
    expect(p.uri).toBe(inventory);
    // Inventory.receive calls self.audit on line 34, Inventory.ship on lines 39 and 42
    expect([33, 38, 41]).toContain(p.selection.start.line);
  });

  it('lets the main lens pick a caller and open its call site', async () => {
    const lens = (await c.codeLenses(inventory)).find((l) => l.range.start.line === 14 && l.command?.command === 'flamelens.showCallers')!;
    const from = c.mark();
    c.pick = (items) => items.find((i) => i.startsWith('Inventory.ship'));
    const r = await c.command<{ function: string }>(lens.command!.command, ...(lens.command!.arguments ?? []));
    expect(r.function).toBe('audit');
    const ask = await c.waitForRequest('window/showMessageRequest', from);
    expect((ask.params as { message: string }).message).toBe('flamelens: callers of audit');
    const open = await c.waitForRequest('window/showDocument', from);
    expect([38, 41]).toContain((open.params as { selection: { start: { line: number } } }).selection.start.line);
  });

  it("offers the function's sandwich in the flame graph as the picker's last item", async () => {
    const lens = (await c.codeLenses(inventory)).find((l) => l.range.start.line === 14 && l.command?.command === 'flamelens.showCallers')!;
    const from = c.mark();
    let offered: string[] = [];
    c.pick = (items) => ((offered = items), items[items.length - 1]);
    await c.command(lens.command!.command, ...(lens.command!.arguments ?? []));
    expect(offered.at(-1)).toBe('Callers and callees in the flame graph');
    const open = await c.waitForRequest('window/showDocument', from);
    const p = open.params as { uri: string; external?: boolean };
    expect(p.external).toBe(true);
    expect(decodeURIComponent(p.uri)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/#fn=audit&file=\/home\/dev\/shop\/shop\/inventory\.py$/);
  });

  it('names inspect.stack as the callee that dominates inventory.py line 16', async () => {
    const text = hoverText(await c.hover(inventory, 15));
    const calls = text.slice(text.indexOf('Calls from this line'));
    expect(calls).not.toBe('');
    const first = calls.split('\n').find((l) => l.startsWith('- '));
    expect(first).toMatch(/`stack` in `[^`]*inspect\.py`/);
    expect(first).toMatch(/\((9\d\.\d|100\.0)% of this line\)/);
  });

  it('hovers a definition line with the function, its callers and hottest lines', async () => {
    const text = hoverText(await c.hover(pricing, 24));
    expect(text).toMatch(/function `line_total`/);
    expect(text).toMatch(/\*\*Callers\*\*/);
    expect(text).toMatch(/`best_discount`/);
    expect(text).toMatch(/line 28:/);
  });
});

describe('a memory recording', () => {
  let c: TestClient;
  let memory: string;

  beforeAll(async () => {
    const ws = makeWorkspace({ 'mem.austin': readFileSync(recorded('austin3-mem.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready('mem.austin');
    memory = await c.open('shop/memory.py');
  });
  afterAll(() => c.dispose());

  it('shows memory allocated by default, in bytes (answer key: memory.py:7 42.99 %)', async () => {
    const hint = hintAt(await c.inlayHints(memory), 6);
    expect(hintFigures(labelOf(hint))).toMatch(/own 43\.0%$/);
    expect(String(hint!.tooltip)).toMatch(/memory allocated/);
    expect(String(hint!.tooltip)).toMatch(/MiB/);
  });

  it('keeps a comprehension\'s name inert in markdown and puts its lens on its line', async () => {
    const text = hoverText(await c.hover(memory, 15));
    expect(text).toContain('`blobs.<listcomp>`');
    expect(text).not.toMatch(/[^`]<listcomp>[^`]/);
    const lenses = await c.codeLenses(memory);
    const comp = lenses.find((l) => l.range.start.line === 15 && l.command?.title.includes('shown at its hottest line'));
    expect(comp, JSON.stringify(lenses.map((l) => [l.range.start.line, l.command?.title]))).toBeDefined();
    // and blobs itself sits on its def
    expect(lenses.some((l) => l.range.start.line === 14 && l.command?.command === 'flamelens.showCallers')).toBe(true);
  });

  it('answers dealloc when asked: memory.py:25 releases 97.45 %', async () => {
    const from = c.mark();
    await c.command('flamelens.selectMetric', 'dealloc');
    await c.waitForRequest('workspace/inlayHint/refresh', from);
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(memory), 24)))).toMatch(/own 97\.[45]%$/);
  });
});
