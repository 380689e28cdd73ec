// workspace/executeCommand: profile, metric and scope selection change the numbers; toggle, callers.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallersResult, LineHeatParams, MetricSummary, ProfileSummary, ScopeSummary, StatusParams } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { hintAt, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';
import { lineShares, naiveAustin } from './naive-austin';

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

const ownAt28 = async (cl: TestClient, uri: string) => hintFigures(labelOf(hintAt(await cl.inlayHints(uri), 27))).replace(/^.* · /, '');

describe('metrics', () => {
  it('lists the metrics of a full-mode recording and switches between them', async () => {
    const ws = makeWorkspace({ 'full.austin': readFileSync(recorded('austin3-full.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    const metrics = await c.command<MetricSummary[]>('flamelens.listMetrics');
    expect(metrics.map((m) => m.key)).toEqual(['wall', 'cpu', 'alloc', 'dealloc', 'samples']);
    expect(metrics.find((m) => m.active)?.key).toBe('cpu');
    // answer key: pricing.py:28 is 15.46 % of non-idle time, 10.39 % of all time
    expect(await ownAt28(c, uri)).toBe('own 15.5%');

    let from = c.mark();
    expect(await c.command('flamelens.selectMetric', 'wall')).toMatchObject({ key: 'wall', active: true });
    await c.waitForRequest('workspace/inlayHint/refresh', from);
    expect(await ownAt28(c, uri)).toBe('own 10.4%');
    expect((await c.command<MetricSummary[]>('flamelens.listMetrics')).find((m) => m.active)?.key).toBe('wall');

    from = c.mark();
    await c.command('flamelens.selectMetric', 'samples');
    const status = await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.metric === 'samples', from);
    expect(status.metricLabel).toBe('samples');
    const bySamples = await ownAt28(c, uri);
    expect(bySamples).not.toBe('own 10.4%');
    expect(bySamples).not.toBe('own 15.5%');

    // a metric the profile does not have changes nothing
    expect(await c.command('flamelens.selectMetric', 'heap')).toBeNull();
    expect(await ownAt28(c, uri)).toBe(bySamples);
  });

  it('starts from the metric preferred in the settings when the profile has it', async () => {
    const ws = makeWorkspace({ 'full.austin': readFileSync(recorded('austin3-full.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, metric: 'wall' } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    expect(await ownAt28(c, uri)).toBe('own 10.4%');
    // a preference the profile cannot satisfy falls back to the format's default
    const from = c.mark();
    c.settings = { refreshInterval: 50, metric: 'heap' };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.metric === 'cpu', from);
    expect(await ownAt28(c, uri)).toBe('own 15.5%');
  });

  it('asks which metric when called without one', async () => {
    const ws = makeWorkspace({ 'full.austin': readFileSync(recorded('austin3-full.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 }, pick: (items) => items.find((i) => i === 'wall time') });
    await c.ready();
    expect(await c.command('flamelens.selectMetric')).toMatchObject({ key: 'wall' });
    const req = c.events.find((e) => e.method === 'window/showMessageRequest')!;
    expect((req.params as { actions: { title: string }[] }).actions.map((a) => a.title)).toContain('CPU time');
  });
});

describe('scopes', () => {
  it('narrows the numbers to one process and back to all', async () => {
    const file = recorded('austin3-children.austin');
    const ws = makeWorkspace({ 'children.austin': readFileSync(file) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    const all = lineShares(naiveAustin(file), '/shop/pricing.py', 28);
    expect(all.own).toBeCloseTo(30.88, 1);
    expect(await ownAt28(c, uri)).toBe(`own ${all.own.toFixed(1)}%`);

    const scopes = await c.command<ScopeSummary[]>('flamelens.listScopes');
    expect(scopes[0]).toMatchObject({ label: 'all threads', active: true });
    expect(scopes.filter((s) => s.pid !== undefined && s.thread === undefined).map((s) => s.pid).sort()).toEqual(['13334', '13336', '13337']);
    // each process and thread with its share of the whole profile, worked out from the raw file
    const naive = naiveAustin(file);
    for (const pid of ['13334', '13336', '13337']) {
      const share = (naiveAustin(file, pid).total / naive.total) * 100;
      expect(scopes.find((s) => s.pid === pid && s.thread === undefined)!.label).toBe(`process ${pid} · ${share.toFixed(1)}%`);
    }
    const threadShares = scopes.filter((s) => s.thread !== undefined).map((s) => parseFloat(s.label.split(' · ').pop()!));
    expect(threadShares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);

    let from = c.mark();
    expect(await c.command('flamelens.setScope', { pid: '13336' })).toMatchObject({ pid: '13336', label: 'process 13336' });
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.scope === 'process 13336', from);
    const child = lineShares(naiveAustin(file, '13336'), '/shop/pricing.py', 28);
    expect(await ownAt28(c, uri)).toBe(`own ${child.own.toFixed(1)}%`);
    expect(child.own).toBeGreaterThan(all.own + 10);

    // the parent only waits: pricing.py has no line at all in its scope
    from = c.mark();
    await c.command('flamelens.setScope', { pid: '13334' });
    await c.waitForNotification<LineHeatParams>('flamelens/lineHeat', (p) => p.uri === uri && p.lines.length === 0, from);
    expect(await c.inlayHints(uri)).toEqual([]);

    from = c.mark();
    await c.command('flamelens.setScope', null);
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.scope === 'all threads', from);
    expect(await ownAt28(c, uri)).toBe(`own ${all.own.toFixed(1)}%`);
  });
});

describe('profiles', () => {
  it('lists profiles newest first and selects another one, by argument or by asking', async () => {
    const ws = makeWorkspace({ 'runs/cpu.austin': readFileSync(recorded('austin3-cpu.austin')) });
    ws.write('runs/wall.austin', readFileSync(recorded('austin3-wall.austin')));
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 }, pick: (items) => items.find((i) => i.endsWith('cpu.austin')) });
    await c.ready('wall.austin');
    const uri = await c.open('shop/pricing.py');
    expect(await ownAt28(c, uri)).toBe('own 5.9%');
    const list = await c.command<ProfileSummary[]>('flamelens.listProfiles');
    expect(list.map((p) => p.path)).toEqual([ws.path('runs/wall.austin'), ws.path('runs/cpu.austin')]);
    expect(list[0]).toMatchObject({ active: true, format: 'austin-text', loading: false, samples: 9239 });

    let from = c.mark();
    expect(await c.command('flamelens.selectProfile', ws.uri('runs/cpu.austin'))).toMatchObject({ active: true, samples: 5600 });
    await c.ready('cpu.austin', from);
    expect(await ownAt28(c, uri)).toBe('own 14.1%');

    from = c.mark();
    c.pick = (items) => items.find((i) => i.endsWith('wall.austin'));
    expect(await c.command('flamelens.selectProfile')).toMatchObject({ path: ws.path('runs/wall.austin') });
    await c.ready('wall.austin', from);
    expect(await ownAt28(c, uri)).toBe('own 5.9%');
    expect(await c.command('flamelens.selectProfile', 'file:///no/such.austin')).toBeNull();
  });
});

describe('toggle and callers', () => {
  it('turns every annotation off and on', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(recorded('austin3-cpu.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    let from = c.mark();
    expect(await c.command('flamelens.toggle')).toBe(false);
    await c.lineHeat(uri, (p) => p.lines.length === 0, from);
    expect(await c.inlayHints(uri)).toEqual([]);
    expect(await c.codeLenses(uri)).toEqual([]);
    expect(await c.hover(uri, 27)).toBeNull();
    from = c.mark();
    expect(await c.command('flamelens.toggle')).toBe(true);
    const heat = await c.lineHeat(uri, (p) => p.lines.length > 0, from);
    const l28 = heat.lines.find((l) => l.line === 27)!;
    expect(l28.percent).toBeCloseTo(14.13, 1);
    expect(l28.heat).toBeGreaterThan(0);
    expect(l28.heat).toBeLessThanOrEqual(1);
    expect((await c.inlayHints(uri)).length).toBeGreaterThan(0);
  });

  it('returns the callers of the function at a position, with their call sites', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(recorded('austin3-cpu.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/inventory.py');
    const r = await c.command<CallersResult>('flamelens.showCallers', uri, { line: 14, character: 0 });
    expect(r.function).toBe('audit');
    expect(r.callers.length).toBeGreaterThan(1);
    expect(r.callers.every((x) => x.uri === uri)).toBe(true);
    expect(r.callers.map((x) => x.name)).toContain('Inventory.ship');
    const sum = r.callers.reduce((s, x) => s + x.percent, 0);
    expect(sum).toBeGreaterThan(99);
    expect(sum).toBeLessThan(101);
  });
});
