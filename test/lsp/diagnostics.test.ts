// Hot lines as diagnostics (issue 12, item 3), opt-in, over real JSON-RPC: pushed to clients that
// do not pull (Neovim 0.10), pulled by clients that pull and accept a refresh (VS Code); the lines
// and their shares are worked out from the raw recording; turning the option off clears them.
import { readFileSync } from 'node:fs';
import type { Diagnostic, DocumentDiagnosticReport, PublishDiagnosticsParams, WorkspaceDiagnosticReport } from 'vscode-languageserver-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { recorded } from '../helpers/paths';
import { FULL_CAPABILITIES, makeWorkspace, TestClient } from './harness';
import { naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const SHOP = '/home/dev/shop/';

/** The hottest lines of the user's files by own share, from the raw file: { rel, line (1-based), own % }. */
function hotLines(count: number, threshold: number): { rel: string; line: number; own: number }[] {
  const p = naiveAustin(CPU);
  const own = new Map<string, number>();
  for (const s of p.samples) {
    const leaf = s.frames.at(-1);
    if (!leaf || !leaf.file.startsWith(SHOP)) continue;
    const k = `${leaf.file.slice(SHOP.length)}:${leaf.line}`;
    own.set(k, (own.get(k) ?? 0) + s.value);
  }
  return [...own]
    .map(([k, v]) => ({ rel: k.slice(0, k.lastIndexOf(':')), line: Number(k.slice(k.lastIndexOf(':') + 1)), own: (v / p.total) * 100 }))
    .filter((x) => x.own >= threshold)
    .sort((a, b) => b.own - a.own)
    .slice(0, count);
}

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

/** The latest diagnostics pushed for each uri. */
function pushed(cl: TestClient): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const p of cl.notifications('textDocument/publishDiagnostics') as PublishDiagnosticsParams[]) out.set(p.uri, p.diagnostics);
  return out;
}

/** Waits until every uri of `uris` has been published to since `from`. */
function publishedTo(cl: TestClient, uris: string[], from: number): Promise<unknown> {
  const done = () => {
    const seen = new Set(cl.events.slice(from).filter((e) => e.method === 'textDocument/publishDiagnostics').map((e) => (e.params as PublishDiagnosticsParams).uri));
    return uris.every((u) => seen.has(u));
  };
  return cl.waitFor(() => done(), from);
}

function checkAgainstKey(cl: TestClient, byUri: Map<string, Diagnostic[]>, expected: ReturnType<typeof hotLines>): void {
  const all = [...byUri].flatMap(([uri, list]) => list.map((d) => ({ uri, d })));
  expect(all).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    const hit = all.find((x) => x.uri === cl.ws.uri(e.rel) && x.d.range.start.line === e.line - 1);
    expect(hit, `${e.rel}:${e.line}`).toBeDefined();
    const d = hit!.d;
    expect(d.source).toBe('flamelens');
    expect(d.code).toBe('hot-line');
    expect(d.severity).toBe(3); // Information
    expect(d.message).toMatch(new RegExp(`^hot line #${i + 1}: ${e.own.toFixed(1).replace('.', '\\.')}% own`));
    // the range covers the line's code, indentation excluded
    const text = readFileSync(cl.ws.path(e.rel), 'utf8').split('\n')[e.line - 1];
    expect(d.range.start.character).toBe(text.length - text.trimStart().length);
    expect(d.range.end.character).toBe(text.trimEnd().length);
  });
}

describe('hot lines pushed (a client that does not pull diagnostics)', () => {
  it('publishes nothing by default, the hottest lines of the user\'s files when enabled, and clears them when disabled', async () => {
    const ws = makeWorkspace({ 'profiles/cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    // the refresh that announced the profile (ready) published nothing
    await c.open('shop/pricing.py');
    expect(c.notifications('textDocument/publishDiagnostics')).toEqual([]);

    // answer keys: workers.py:12 15.50 %, pricing.py:28 14.13 %, memory.py:7 13.40 %, memory.py:9 8.03 %,
    // pricing.py:27 4.95 % (inspect.py:992 5.84 % is the standard library's: not listed)
    const expected = hotLines(5, 1);
    expect(expected.map((e) => `${e.rel}:${e.line}`)).toEqual(['shop/workers.py:12', 'shop/pricing.py:28', 'shop/memory.py:7', 'shop/memory.py:9', 'shop/pricing.py:27']);
    let from = c.mark();
    c.settings = { refreshInterval: 50, diagnostics: { enabled: true, count: 5 } };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await publishedTo(c, expected.map((e) => ws.uri(e.rel)), from);
    checkAgainstKey(c, pushed(c), expected);
    // closed files too: memory.py and workers.py were never opened
    expect(pushed(c).get(ws.uri('shop/memory.py'))).toHaveLength(2);
    const message = pushed(c).get(ws.uri('shop/pricing.py'))!.find((d) => d.range.start.line === 27)!.message;
    expect(message).toBe(`hot line #2: ${expected[1].own.toFixed(1)}% own · ${expected[1].own.toFixed(1)}% total of CPU time (all threads) in line_total (1.11 s own, cpu.austin)`);

    from = c.mark();
    c.settings = { refreshInterval: 50, diagnostics: { enabled: false } };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await publishedTo(c, expected.map((e) => ws.uri(e.rel)), from);
    const cleared = c.events.slice(from).filter((e) => e.method === 'textDocument/publishDiagnostics').map((e) => e.params as PublishDiagnosticsParams);
    expect(new Set(cleared.map((p) => p.uri))).toEqual(new Set(expected.map((e) => ws.uri(e.rel))));
    for (const p of cleared) expect(p.diagnostics).toEqual([]);
  });

  it('takes count, threshold and severity, and clears with the toggle', async () => {
    const ws = makeWorkspace({ 'profiles/cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, diagnostics: { enabled: true, count: 100, threshold: 10, severity: 'hint' } } });
    await c.ready();
    const expected = hotLines(100, 10);
    expect(expected).toHaveLength(3);
    await publishedTo(c, expected.map((e) => ws.uri(e.rel)), 0);
    const all = [...pushed(c).values()].flat();
    expect(all).toHaveLength(3);
    for (const d of all) expect(d.severity).toBe(4); // Hint
    const from = c.mark();
    await c.command('flamelens.toggle', false);
    await publishedTo(c, expected.map((e) => ws.uri(e.rel)), from);
    expect([...pushed(c).values()].flat()).toEqual([]);
  });
});

describe('hot lines pulled (a client that pulls and accepts workspace/diagnostic/refresh)', () => {
  const PULL = {
    ...FULL_CAPABILITIES,
    textDocument: { ...FULL_CAPABILITIES.textDocument, diagnostic: { dynamicRegistration: false } },
    workspace: { ...FULL_CAPABILITIES.workspace, diagnostics: { refreshSupport: true } },
  };

  it('answers workspace and document pulls, says unchanged when nothing changed, and clears after a refresh', async () => {
    const ws = makeWorkspace({ 'profiles/cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { capabilities: PULL, settings: { refreshInterval: 50, diagnostics: { enabled: true, count: 5 } } });
    await c.ready();
    const pricing = await c.open('shop/pricing.py');
    const expected = hotLines(5, 1);
    const report = await c.connection.sendRequest<WorkspaceDiagnosticReport>('workspace/diagnostic', { previousResultIds: [] });
    const full = new Map(report.items.map((i) => [i.uri, i.kind === 'full' ? i.items : []]));
    checkAgainstKey(c, full, expected);
    expect(c.notifications('textDocument/publishDiagnostics')).toEqual([]);
    // an open document carries its version
    expect(report.items.find((i) => i.uri === pricing)?.version).toBe(1);

    const doc = await c.connection.sendRequest<DocumentDiagnosticReport>('textDocument/diagnostic', { textDocument: { uri: pricing } });
    expect(doc.kind).toBe('full');
    const items = doc.kind === 'full' ? doc.items : [];
    expect(items.map((d) => d.range.start.line).sort()).toEqual([26, 27]);
    const again = await c.connection.sendRequest<DocumentDiagnosticReport>('textDocument/diagnostic', {
      textDocument: { uri: pricing },
      previousResultId: doc.resultId,
    });
    expect(again.kind).toBe('unchanged');

    const from = c.mark();
    c.settings = { refreshInterval: 50, diagnostics: { enabled: false } };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForRequest('workspace/diagnostic/refresh', from);
    const cleared = await c.connection.sendRequest<WorkspaceDiagnosticReport>('workspace/diagnostic', {
      previousResultIds: report.items.map((i) => ({ uri: i.uri, value: i.kind === 'full' ? i.resultId! : '' })),
    });
    expect(new Set(cleared.items.map((i) => i.uri))).toEqual(new Set(full.keys()));
    for (const i of cleared.items) expect(i).toMatchObject({ kind: 'full', items: [] });
    // and nothing more to clear afterwards
    expect((await c.connection.sendRequest<WorkspaceDiagnosticReport>('workspace/diagnostic', { previousResultIds: [] })).items).toEqual([]);
  });
});
