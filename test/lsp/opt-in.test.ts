// flamelens/lineHeat and flamelens/status go only to clients that declare them in
// `capabilities.experimental.flamelens` (generic clients warn about unknown notifications); the
// standard features do not depend on it.
import { readFileSync } from 'node:fs';
import type { ClientCapabilities, InlayHint } from 'vscode-languageserver-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { recorded } from '../helpers/paths';
import { FULL_CAPABILITIES, hintAt, hoverText, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';
import { lineShares, naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

const { experimental: _, ...STANDARD_ONLY } = FULL_CAPABILITIES;
const flamelensEvents = (cl: TestClient) => cl.events.filter((e) => e.method.startsWith('flamelens/')).map((e) => e.method);

/** The hints once pricing.py:28 has one; re-requested on each workspace/inlayHint/refresh, so no status is needed. */
async function hintsOnceLoaded(cl: TestClient, uri: string): Promise<InlayHint[]> {
  let from = 0;
  for (;;) {
    const hints = await cl.inlayHints(uri);
    if (hintAt(hints, 27)) return hints;
    const refresh = await cl.waitForRequest('workspace/inlayHint/refresh', from);
    from = cl.events.indexOf(refresh) + 1;
  }
}

describe('flamelens notifications are opt-in', () => {
  it('sends a client that did not declare them none, and still answers hints, lenses and hovers', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { capabilities: STANDARD_ONLY });
    const pricing = await c.open('shop/pricing.py');
    // answer key: pricing.py:28 own 14.13 %
    expect(hintFigures(labelOf(hintAt(await hintsOnceLoaded(c, pricing), 27)))).toMatch(/own 14\.1%$/);
    expect((await c.codeLenses(pricing)).some((l) => l.command?.command === 'flamelens.showCallers')).toBe(true);
    expect(hoverText(await c.hover(pricing, 24))).toMatch(/function `line_total`/);
    // a command that changes state refreshes again (and would notify); the reply comes after it
    const from = c.mark();
    expect(await c.command('flamelens.toggle', false)).toBe(false);
    await c.waitForRequest('workspace/inlayHint/refresh', from);
    await c.command('flamelens.listProfiles');
    expect(flamelensEvents(c)).toEqual([]);
  });

  it('sends only the notification a client declared', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    const capabilities: ClientCapabilities = { ...STANDARD_ONLY, experimental: { flamelens: { lineHeat: true } } };
    c = await TestClient.start(ws, { capabilities });
    const pricing = await c.open('shop/pricing.py');
    const heat = await c.lineHeat(pricing, (p) => p.lines.some((l) => l.line === 27));
    expect(heat.lines.find((l) => l.line === 27)!.percent).toBeCloseTo(lineShares(naiveAustin(CPU), '/shop/pricing.py', 28).total, 1);
    await c.command('flamelens.listProfiles');
    expect(new Set(flamelensEvents(c))).toEqual(new Set(['flamelens/lineHeat']));
  });

  it('sends both to a client that declared both', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws);
    const status = await c.ready('cpu.austin');
    expect(status.metric).toBe('cpu');
    const pricing = await c.open('shop/pricing.py');
    const heat = await c.lineHeat(pricing, (p) => p.lines.length > 0);
    expect(heat.lines.find((l) => l.line === 27)!.percent).toBeCloseTo(lineShares(naiveAustin(CPU), '/shop/pricing.py', 28).own, 1);
    expect(new Set(flamelensEvents(c))).toEqual(new Set(['flamelens/lineHeat', 'flamelens/status']));
  });

  it('takes only `true` as a declaration', async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    const loose: ClientCapabilities = { ...STANDARD_ONLY, experimental: { flamelens: { lineHeat: 'yes', status: 1 } } };
    c = await TestClient.start(ws, { capabilities: loose });
    const pricing = await c.open('shop/pricing.py');
    await hintsOnceLoaded(c, pricing);
    await c.command('flamelens.listProfiles');
    expect(flamelensEvents(c)).toEqual([]);
  });
});
