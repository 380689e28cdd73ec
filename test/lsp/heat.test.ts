// Line heat follows the work, on one scale for the whole profile: own cost plus time spent in code
// outside the workspace (the standard library), so `inspect.stack()` glows and a call site into
// the user's own code does not; levels come from the share of the whole profile, so colours compare
// across files. Expected values from a plain reading of the raw recording.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heatLevel } from '../../server/src/features/line-heat';
import type { LineHeatParams } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { makeWorkspace, TestClient } from './harness';
import { naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const SHOP = '/home/dev/shop/';

/** Per 1-based line of `file`: the share of samples where the line is the leaf or calls straight into code outside the workspace (once per sample). */
function expectedOwnHeat(file: string): Map<number, number> {
  const p = naiveAustin(CPU);
  const by = new Map<number, number>();
  for (const s of p.samples) {
    const hit = new Set<number>();
    s.frames.forEach((f, i) => {
      if (f.file !== file) return;
      const next = s.frames[i + 1];
      if (!next || !next.file.startsWith(SHOP)) hit.add(f.line);
    });
    for (const l of hit) by.set(l, (by.get(l) ?? 0) + s.value);
  }
  return new Map([...by].map(([l, v]) => [l, (v / p.total) * 100]));
}

describe('line heat', () => {
  let c: TestClient;
  const heats = new Map<string, LineHeatParams>();
  beforeAll(async () => {
    const ws = makeWorkspace({ 'cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    for (const rel of ['shop/pricing.py', 'shop/inventory.py', 'shop/workers.py']) {
      const from = c.mark();
      const uri = await c.open(rel);
      heats.set(rel, await c.lineHeat(uri, (p) => p.lines.length > 0, from));
    }
  });
  afterAll(() => c.dispose());

  it('measures own cost plus time in code outside the workspace, on the whole profile scale', () => {
    let checked = 0;
    for (const [rel, heat] of heats) {
      const expected = expectedOwnHeat(`${SHOP}${rel}`);
      for (const l of heat.lines) {
        expect(l.percent, `${rel}:${l.line + 1}`).toBeCloseTo(expected.get(l.line + 1) ?? 0, 1);
        expect(l.level).toBe(heatLevel(l.percent));
        expect(l.heat).toBe(l.level / 4);
        checked++;
      }
      for (const [line, pct] of expected) if (pct >= 0.5) expect(heat.lines.some((x) => x.line === line - 1), `${rel}:${line}`).toBe(true);
      expect(heat.profile).toBe(c.ws.path('cpu.austin'));
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('the work glows, call sites into the workspace do not, and the scale is the same in every file', () => {
    const at = (rel: string, line: number) => heats.get(rel)!.lines.find((l) => l.line === line - 1);
    // inventory.py:16 `caller = inspect.stack()[1]`: 0 % own, 20.8 % in the standard library
    expect(at('shop/inventory.py', 16)?.level).toBe(4);
    // pricing.py:28, the loop's body: 14.1 % own
    expect(at('shop/pricing.py', 28)?.level).toBe(3);
    // pricing.py:37 `candidate = line_total(item, factor)`: 20 % total, but in line_total (workspace code)
    expect(at('shop/pricing.py', 37)?.level).toBe(1);
    expect(at('shop/pricing.py', 46)).toBeUndefined();
    // workers.py:12 (15.5 %) and inventory.py:16 (20.8 %) outrank pricing.py:28 (14.1 %) across files
    expect(at('shop/workers.py', 12)!.level).toBeGreaterThanOrEqual(at('shop/pricing.py', 28)!.level);
  });

  it('follows the line total with flamelens.heat = "total"', async () => {
    c.settings = { refreshInterval: 50, heat: 'total' };
    const uri = c.ws.uri('shop/pricing.py');
    const from = c.mark();
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const heat = await c.lineHeat(uri, (p) => p.lines.some((l) => l.line === 36 && l.level > 1), from);
    // line 37's total (20.1 %)
    expect(heat.lines.find((l) => l.line === 36)!.percent).toBeCloseTo(20.1, 0);
  });
});
