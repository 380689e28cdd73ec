// Leading the user to the hot spot (issue 12) over real JSON-RPC: workspace symbols as a hotspot
// list, call hierarchy weighted by samples, and the Hotspots command, on a real recording of the
// shop workload. Every share shown is checked against an independent reading of the raw file.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type {
  CallHierarchyIncomingCall,
  CallHierarchyItem,
  CallHierarchyOutgoingCall,
  SymbolInformation,
} from 'vscode-languageserver-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HotspotsResult } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { makeWorkspace, TestClient } from './harness';
import { callerShares, calleeShares, callSiteLines, functionShares, naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const cpu = naiveAustin(CPU);
const INSPECT = '/usr/lib/python3.11/inspect.py';
const pct = (x: number) => `${x.toFixed(1)}%`;
const costOf = (file: string, name: string) => {
  const f = functionShares(cpu, file, name);
  return `${f.total < 0.05 && f.total > 0 ? '<0.1%' : pct(f.total)} total · ${f.own < 0.05 && f.own > 0 ? '<0.1%' : pct(f.own)} own`;
};

/** 0-based line of the first line of a text that starts (after indentation) with `prefix`. */
function lineOf(text: string, prefix: string): number {
  const i = text.split('\n').findIndex((l) => l.trimStart().startsWith(prefix));
  expect(i, prefix).toBeGreaterThanOrEqual(0);
  return i;
}

describe('navigation on the CPU recording of the shop workload', () => {
  let c: TestClient;

  beforeAll(async () => {
    const ws = makeWorkspace({ 'profiles/austin3-cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready('austin3-cpu.austin');
  });
  afterAll(() => c.dispose());

  const symbols = (query: string) => c.connection.sendRequest<SymbolInformation[]>('workspace/symbol', { query });

  it('lists the user\'s hot spots first for an empty query, each with the figure it is ranked by', async () => {
    const list = await symbols('');
    const first20 = list.slice(0, 20).map((s) => s.name);
    // answer keys: line_total 19.49 % (own = total), audit 20.77 % incl, inspect.stack just above it
    const lineTotal = functionShares(cpu, '/shop/pricing.py', 'line_total');
    const audit = functionShares(cpu, '/shop/inventory.py', 'audit');
    const stack = functionShares(cpu, '/inspect.py', 'stack');
    expect(lineTotal.own).toBeCloseTo(19.49, 1);
    expect(audit.total).toBeCloseTo(20.77, 1);
    expect(stack.total).toBeCloseTo(20.78, 1);
    expect(first20).toContain(`pricing.line_total · ${pct(lineTotal.own)} own`);
    expect(first20).toContain(`inventory.audit · ${pct(audit.total)} total`);
    if (existsSync(INSPECT)) expect(first20).toContain(`inspect.stack · ${pct(stack.total)} total`);
    // the wrappers every sample passes through do not lead: nothing in the first five is ranked by a total above 30 %
    for (const name of first20.slice(0, 5)) expect(name.endsWith('total') ? parseFloat(name.split(' · ')[1]) : 0).toBeLessThan(30);
    expect(first20.some((n) => n.includes('runpy') || n.startsWith('__main__.'))).toBe(false);
    // ranked by the figure they name, highest first
    const figures = list.map((s) => parseFloat(s.name.split(' · ')[1]));
    for (let i = 1; i < figures.length; i++) expect(figures[i]).toBeLessThanOrEqual(figures[i - 1]);
    // the other figure is in the container
    const a = list.find((s) => s.name.startsWith('inventory.audit'))!;
    expect(a.containerName).toBe(`${pct(audit.own)} own · shop/inventory.py`);
  });

  it('places each entry at the function\'s definition, in closed files and in the standard library', async () => {
    const list = await symbols('');
    const inventory = readFileSync(c.ws.path('shop/inventory.py'), 'utf8');
    const a = list.find((s) => s.name.startsWith('inventory.audit'))!;
    expect(a.location.uri).toBe(c.ws.uri('shop/inventory.py'));
    expect(a.location.range.start.line).toBe(lineOf(inventory, 'def audit('));
    const s = list.find((x) => x.name.startsWith('inspect.stack'));
    if (existsSync(INSPECT)) {
      expect(s!.location.uri).toBe(pathToFileURL(INSPECT).href);
      expect(s!.location.range.start.line).toBe(lineOf(readFileSync(INSPECT, 'utf8'), 'def stack('));
    } else {
      expect(s).toBeUndefined();
    }
    // frames that are no file (`<frozen runpy>`, `:INVALID:`) are never listed
    for (const x of list) expect(x.location.uri.startsWith('file:///')).toBe(true);
    expect(list.some((x) => x.name.includes('INVALID') || x.name.startsWith('runpy.'))).toBe(false);
  });

  it('filters by a fuzzy query, keeping the ranking', async () => {
    const list = await symbols('invaud');
    expect(list.length).toBeGreaterThan(0);
    expect(list[0].name).toMatch(/^inventory\.audit · /);
    for (const s of list) expect(s.name.split(' · ')[0].toLowerCase()).toMatch(/i.*n.*v.*a.*u.*d/);
    expect(await symbols('zzzqqq')).toEqual([]);
    const ship = await symbols('Inventory.ship');
    expect(ship.map((s) => s.name.split(' · ')[0])).toContain('inventory.Inventory.ship');
  });

  it('answers the Hotspots command with the same ranking and structured figures', async () => {
    const r = await c.command<HotspotsResult>('flamelens.hotspots', { limit: 20 });
    const list = await symbols('');
    expect(r.items).toHaveLength(20);
    expect(r.items.map((i) => i.label)).toEqual(list.slice(0, 20).map((s) => s.name));
    const audit = r.items.find((i) => i.name === 'inventory.audit')!;
    expect(audit).toMatchObject({ by: 'total', inWorkspace: true, file: 'shop/inventory.py', uri: c.ws.uri('shop/inventory.py') });
    expect(audit.total).toBeCloseTo(functionShares(cpu, '/shop/inventory.py', 'audit').total, 6);
    expect(r.metricLabel).toBe('CPU time');
    const q = await c.command<HotspotsResult>('flamelens.hotspots', { query: 'line_total' });
    expect(q.items.map((i) => i.name)).toEqual(['pricing.line_total']);
    expect(await c.command('flamelens.hotspots', 'nonsense')).toBeNull();
  });

  it('prepares the call hierarchy of audit in a closed file\'s sibling and gives its callers by share, at their call sites', async () => {
    const uri = await c.open('shop/inventory.py');
    const text = readFileSync(c.ws.path('shop/inventory.py'), 'utf8');
    const def = lineOf(text, 'def audit(');
    const items = await c.connection.sendRequest<CallHierarchyItem[] | null>('textDocument/prepareCallHierarchy', {
      textDocument: { uri },
      position: { line: def, character: 5 },
    });
    expect(items).toHaveLength(1);
    const audit = functionShares(cpu, '/shop/inventory.py', 'audit');
    expect(items![0]).toMatchObject({ name: 'inventory.audit', uri, detail: `${pct(audit.total)} total · ${pct(audit.own)} own` });
    expect(items![0].selectionRange.start.line).toBe(def);

    const incoming = await c.connection.sendRequest<CallHierarchyIncomingCall[]>('callHierarchy/incomingCalls', { item: items![0] });
    // one call per call site, with its share of audit's time: the numbers are
    // Inventory.receive line 34 51.4 %, Inventory.ship line 42 47.4 % (and ship's line 39, 1.2 %)
    const auditValue = (audit.total / 100) * cpu.total;
    const expected = callerShares(cpu, '/shop/inventory.py', 'audit')
      .flatMap((caller) => [...callSiteLines(cpu, caller.name, 'audit')].map(([line, v]) => ({ name: caller.name, line, share: (v / auditValue) * 100 })))
      .sort((x, y) => y.share - x.share);
    expect(expected.slice(0, 2).map((e) => [e.name, e.line])).toEqual([
      ['Inventory.receive', 34],
      ['Inventory.ship', 42],
    ]);
    expect(expected[0].share).toBeCloseTo(51.4, 1);
    expect(expected[1].share).toBeCloseTo(47.4, 1);
    expect(incoming.map((i) => i.from.name)).toEqual(expected.map((e) => `inventory.${e.name} · ${pct(e.share)}`));
    expect(incoming.map((i) => i.fromRanges.map((r) => r.start.line + 1))).toEqual(expected.map((e) => [e.line]));
    expect(incoming[0].from.detail).toBe(`${pct(expected[0].share)} of audit · line 34 · ${costOf('/shop/inventory.py', 'Inventory.receive')}`);
    const receive = incoming[0];
    expect(receive.from.uri).toBe(uri);
    expect(receive.from.selectionRange.start.line).toBe(lineOf(text, 'def receive('));
  });

  it('gives audit\'s outgoing calls: inspect.stack with all of its time, called from line 16, in a file that is not open', async () => {
    const uri = c.ws.uri('shop/inventory.py');
    const def = lineOf(readFileSync(c.ws.path('shop/inventory.py'), 'utf8'), 'def audit(');
    const [audit] = (await c.connection.sendRequest<CallHierarchyItem[]>('textDocument/prepareCallHierarchy', {
      textDocument: { uri },
      position: { line: def, character: 0 },
    }))!;
    const out = await c.connection.sendRequest<CallHierarchyOutgoingCall[]>('callHierarchy/outgoingCalls', { item: audit });
    const callees = calleeShares(cpu, '/shop/inventory.py', 'audit');
    expect(callees[0].name).toBe('stack');
    expect(callees[0].share).toBeGreaterThan(99.9);
    if (!existsSync(INSPECT)) {
      expect(out.some((o) => o.to.name.startsWith('inspect.stack'))).toBe(false);
      return;
    }
    // per call site: line 16 (inspect.stack()[1]), and a sliver at line 17 that the recording has
    const auditValue = (functionShares(cpu, '/shop/inventory.py', 'audit').total / 100) * cpu.total;
    const sites = [...callSiteLines(cpu, 'audit', 'stack')].sort((x, y) => y[1] - x[1]);
    expect(sites[0][0]).toBe(16);
    const stackCalls = out.filter((o) => o.to.name.startsWith('inspect.stack'));
    expect(stackCalls.map((o) => o.to.name)).toEqual(sites.map(([, v]) => `inspect.stack · ${pct((v / auditValue) * 100)}`));
    expect(stackCalls.map((o) => o.fromRanges.map((r) => r.start.line + 1))).toEqual(sites.map(([l]) => [l]));
    expect(out[0].to.uri).toBe(pathToFileURL(INSPECT).href);
    expect(out[0].to.detail).toMatch(/ of audit · line 16 · 20\.8% total · <0\.1% own$/);
    // and on from there, through a file that is not open: the callers of stack lead back to audit
    const back = await c.connection.sendRequest<CallHierarchyIncomingCall[]>('callHierarchy/incomingCalls', { item: out[0].to });
    const stackValue = (functionShares(cpu, '/inspect.py', 'stack').total / 100) * cpu.total;
    expect(back.map((b) => b.from.name)).toEqual(sites.map(([, v]) => `inventory.audit · ${pct((v / stackValue) * 100)}`));
    expect(back[0].fromRanges.map((r) => r.start.line + 1)).toEqual([16]);
  });

  it('prepares the hierarchy of the function called at the cursor, and of the function executing a line', async () => {
    const uri = await c.open('shop/inventory.py');
    const text = readFileSync(c.ws.path('shop/inventory.py'), 'utf8');
    const call = lineOf(text, 'caller = inspect.stack()');
    const col = text.split('\n')[call].indexOf('stack');
    const prep = (character: number) =>
      c.connection.sendRequest<CallHierarchyItem[] | null>('textDocument/prepareCallHierarchy', { textDocument: { uri }, position: { line: call, character } });
    if (existsSync(INSPECT)) expect((await prep(col + 2))![0].name).toBe('inspect.stack');
    expect((await prep(4))![0].name).toBe('inventory.audit');
    // a line without data in no function: nothing
    expect(await c.connection.sendRequest('textDocument/prepareCallHierarchy', { textDocument: { uri }, position: { line: 0, character: 0 } })).toBeNull();
  });

  it('follows edits: call sites move with the text of an open document', async () => {
    const uri = await c.open('shop/inventory.py');
    await c.change(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, '# one\n# two\n');
    const def = lineOf(readFileSync(c.ws.path('shop/inventory.py'), 'utf8'), 'def audit(') + 2;
    const [audit] = (await c.connection.sendRequest<CallHierarchyItem[]>('textDocument/prepareCallHierarchy', {
      textDocument: { uri },
      position: { line: def, character: 0 },
    }))!;
    expect(audit.selectionRange.start.line).toBe(def);
    const incoming = await c.connection.sendRequest<CallHierarchyIncomingCall[]>('callHierarchy/incomingCalls', { item: audit });
    expect(incoming[0].fromRanges.map((r) => r.start.line)).toEqual([33 + 2]);
    const sym = (await symbols('inventory.audit'))[0];
    expect(sym.location.range.start.line).toBe(def);
    await c.change(uri, { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, '');
  });
});

describe('navigation where the profile says nothing', () => {
  it('answers with empty results: no profile, annotations off, a stale item', async () => {
    const ws = makeWorkspace({ 'profiles/austin3-cpu.austin': readFileSync(CPU) });
    const c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    try {
      await c.ready();
      const uri = await c.open('shop/inventory.py');
      const [audit] = (await c.connection.sendRequest<CallHierarchyItem[]>('textDocument/prepareCallHierarchy', {
        textDocument: { uri },
        position: { line: 14, character: 0 },
      }))!;
      await c.command('flamelens.toggle', false);
      expect(await c.connection.sendRequest('workspace/symbol', { query: '' })).toEqual([]);
      expect(await c.connection.sendRequest('callHierarchy/incomingCalls', { item: audit })).toEqual([]);
      await c.command('flamelens.toggle', true);
      const forged = { ...audit, data: { profile: '/etc/passwd', generation: 0, funcId: 0, file: '/etc/passwd', name: 'x' } };
      expect(await c.connection.sendRequest('callHierarchy/incomingCalls', { item: forged })).toEqual([]);
      expect(await c.connection.sendRequest('callHierarchy/outgoingCalls', { item: { ...audit, data: 42 } })).toEqual([]);
    } finally {
      await c.dispose();
    }
  });
});
