// Bad profiles, bad settings and modest clients: the server reports once, keeps serving, never throws.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusParams } from '../../server/src/protocol';
import { capabilities, clientFeatures } from '../../server/src/capabilities';
import { recorded } from '../helpers/paths';
import { hintAt, labelOf, makeWorkspace, NOTIFICATIONS_ONLY, TestClient, hintFigures } from './harness';

const CPU = recorded('austin3-cpu.austin');
const WALL = recorded('austin3-wall.austin');

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

const messages = (cl: TestClient) => cl.notifications('window/showMessage') as { type: number; message: string }[];
const logs = (cl: TestClient) => (cl.notifications('window/logMessage') as { message: string }[]).map((m) => m.message);

describe('profiles that cannot be read', () => {
  it('shows one message per bad file, naming it and where reading stopped, and serves the others', async () => {
    const cpu = readFileSync(CPU);
    // a recording cut in the middle of a line, with a line of garbage inside
    const cut = cpu.subarray(0, 600_123);
    const nl = cut.indexOf(10, 300_000);
    const truncated = Buffer.concat([cut.subarray(0, nl + 1), Buffer.from('P1;T1;garbage without a metric\n'), cut.subarray(nl + 1)]);
    const ws = makeWorkspace({ 'good.austin': readFileSync(WALL) });
    ws.write('junk.austin', Buffer.from([0x00, 0xff, 0x13, 0x37, ...Buffer.from('not a profile at all\n'.repeat(300))]));
    ws.write('truncated.austin', truncated);
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    const junk = await c.waitForNotification<{ message: string }>('window/showMessage', (m) => m.message.includes('junk.austin'));
    expect(junk.message).toContain(ws.path('junk.austin'));
    expect(junk.message).toMatch(/unknown profile format/);
    const bad = await c.waitForNotification<{ message: string }>('window/showMessage', (m) => m.message.includes('truncated.austin'));
    expect(bad.message).toContain(ws.path('truncated.austin'));
    expect(bad.message).toMatch(/line \d+ \(byte \d+\)/);

    // the newest readable profile serves what was read before the problems
    const s = await c.waitForNotification<StatusParams>('flamelens/status', (x) => !!x.problem);
    expect(s.profile).toBe(ws.path('truncated.austin'));
    expect(s.problem).toContain('truncated.austin');
    expect(s.samples).toBeGreaterThan(1000);
    // the good one is still served when selected
    const from = c.mark();
    await c.command('flamelens.selectProfile', ws.uri('good.austin'));
    await c.ready('good.austin', from);
    const uri = await c.open('shop/pricing.py');
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/own 5\.9%$/);
    // a later round of refreshes shows nothing again
    const again = c.mark();
    await c.command('flamelens.toggle', false);
    await c.command('flamelens.toggle', true);
    await c.waitForNotification('flamelens/status', (x: { enabled: boolean }) => x.enabled, again);
    expect(messages(c).filter((m) => m.message.includes('junk.austin'))).toHaveLength(1);
    expect(messages(c).filter((m) => m.message.includes('truncated.austin'))).toHaveLength(1);
    expect(messages(c)).toHaveLength(2);
  });
});

describe('a profile cut in the middle of a line', () => {
  it('is reported once it has stopped growing, naming the line, and its complete records are served', async () => {
    const cpu = readFileSync(CPU);
    const ws = makeWorkspace({ 'cut.austin': cpu.subarray(0, 1_000_007) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    const s = await c.ready('cut.austin');
    expect(s.samples).toBeGreaterThan(2000);
    const m = await c.waitForNotification<{ message: string }>('window/showMessage');
    expect(m.message).toContain(ws.path('cut.austin'));
    expect(m.message).toMatch(/line \d+ \(byte \d+\).*incomplete/);
  });
});

describe('settings', () => {
  it('logs settings of the wrong type, keeps the defaults and keeps serving', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, {
      settings: { threshold: 'high', hints: 42, profiles: 7, refreshInterval: -5, pathMappings: 'x', enabled: 'yes', metric: 3 },
    });
    await c.ready();
    const warned = logs(c).join('\n');
    for (const k of ['threshold', 'hints', 'profiles', 'refreshInterval', 'pathMappings', 'enabled', 'metric']) {
      expect(warned).toContain(`flamelens.${k}`);
    }
    const uri = await c.open('shop/pricing.py');
    const hints = await c.inlayHints(uri);
    expect(hintFigures(labelOf(hintAt(hints, 27)))).toMatch(/^\d+\.\d% · own 14\.1%$/);
    for (const h of hints) expect(parseFloat(labelOf(h))).toBeGreaterThanOrEqual(0.5);
    expect(messages(c)).toEqual([]);
  });

  it('pulls settings again on didChangeConfiguration and applies what changed', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/ · own /);
    expect((await c.codeLenses(uri)).length).toBeGreaterThan(0);
    c.settings = { refreshInterval: 50, hints: 'total', threshold: 10, lenses: false };
    const from = c.mark();
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForRequest('workspace/inlayHint/refresh', from);
    const hints = await c.inlayHints(uri);
    expect(labelOf(hintAt(hints, 27))).toBe('14.1%');
    for (const h of hints) expect(parseFloat(labelOf(h))).toBeGreaterThanOrEqual(10);
    expect(await c.codeLenses(uri)).toEqual([]);
    // the same settings again: nothing to redo, no refresh
    const again = c.mark();
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForRequest('workspace/configuration', again);
    await c.command('flamelens.listProfiles');
    expect(c.events.slice(again).filter((e) => e.method === 'workspace/inlayHint/refresh')).toEqual([]);
  });

  it('accepts settings as initializationOptions from a client without workspace/configuration', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { capabilities: NOTIFICATIONS_ONLY, initializationOptions: { hints: 'own' } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    expect(labelOf(hintAt(await c.inlayHints(uri), 27))).toBe('own 14.1%');
    expect(c.events.some((e) => e.method === 'workspace/configuration')).toBe(false);
  });

  it('keeps initializationOptions when workspace/configuration has no flamelens section', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: null, initializationOptions: { flamelens: { hints: 'total', refreshInterval: 50 } } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    expect(labelOf(hintAt(await c.inlayHints(uri), 27))).toBe('14.1%');
    // and configuration values override them key by key
    c.settings = { hints: 'own' };
    const from = c.mark();
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForRequest('workspace/inlayHint/refresh', from);
    expect(labelOf(hintAt(await c.inlayHints(uri), 27))).toBe('own 14.1%');
  });
});

describe('clients that declare little', () => {
  it('answers inlay hint requests from a client that declared no inlay hint support, and sends it no refresh', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { capabilities: { ...NOTIFICATIONS_ONLY, textDocument: {}, workspace: {} } });
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    await c.lineHeat(uri, (p) => p.lines.length > 0);
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toMatch(/own 14\.1%/);
    expect(c.events.filter((e) => e.kind === 'request' && e.method.endsWith('/refresh'))).toEqual([]);
  });

  it('answers requests for unknown documents and bad command arguments with empty results', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws);
    await c.ready();
    expect(await c.inlayHints('file:///nowhere/x.py')).toEqual([]);
    expect(await c.codeLenses('untitled:Untitled-1')).toEqual([]);
    expect(await c.hover('file:///nowhere/x.py', 3)).toBeNull();
    expect(await c.command('flamelens.selectMetric', { not: 'a key' })).toBeNull();
    expect(await c.command('flamelens.setScope', 'nonsense')).toBeNull();
    expect(await c.command('flamelens.openCallSite', 42)).toBe(false);
    expect(await c.command('flamelens.showCallers')).toBeNull();
  });
});

describe('capabilities', () => {
  it('are pinned', () => {
    expect(capabilities()).toMatchInlineSnapshot(`
      {
        "callHierarchyProvider": true,
        "codeLensProvider": {
          "resolveProvider": false,
        },
        "executeCommandProvider": {
          "commands": [
            "flamelens.listProfiles",
            "flamelens.selectProfile",
            "flamelens.listMetrics",
            "flamelens.selectMetric",
            "flamelens.listScopes",
            "flamelens.setScope",
            "flamelens.toggle",
            "flamelens.showCallers",
            "flamelens.openCallSite",
            "flamelens.openFlameGraph",
            "flamelens.hotspots",
            "flamelens.setPercentOf",
            "flamelens.selectBaseline",
          ],
        },
        "hoverProvider": true,
        "inlayHintProvider": {
          "resolveProvider": false,
        },
        "textDocumentSync": {
          "change": 2,
          "openClose": true,
          "save": {
            "includeText": false,
          },
        },
        "workspace": {
          "workspaceFolders": {
            "changeNotifications": true,
            "supported": true,
          },
        },
        "workspaceSymbolProvider": {
          "resolveProvider": false,
        },
      }
    `);
  });

  it('offer pull diagnostics only to clients that pull them and accept a refresh', () => {
    const pull = clientFeatures({ textDocument: { diagnostic: {} }, workspace: { diagnostics: { refreshSupport: true } } });
    expect(pull.pullDiagnostics).toBe(true);
    expect(capabilities(pull).diagnosticProvider).toEqual({ identifier: 'flamelens', interFileDependencies: false, workspaceDiagnostics: true });
    // Neovim 0.10 declares textDocument.diagnostic but no refresh: it gets diagnostics pushed
    const nvim = clientFeatures({ textDocument: { diagnostic: { dynamicRegistration: false } } });
    expect(nvim.pullDiagnostics).toBe(false);
    expect(capabilities(nvim).diagnosticProvider).toBeUndefined();
    expect(clientFeatures(undefined).pullDiagnostics).toBe(false);
  });
});
