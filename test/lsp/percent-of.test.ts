// "Percent of what?" and saying where time goes (issue 12, items 4 and 5), over real JSON-RPC on
// real recordings: the percent base switches every hint to independently computed shares; a line
// with no own time names its callee; a lens names the callee that dominates; a module says what it
// is and does not lead a file whose module cost is only imports.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PercentOfSummary, StatusParams } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';
import { calleeShares, callSiteLines, functionShares, lineShares, naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const CHILDREN = recorded('austin3-children.austin');
const cpu = naiveAustin(CPU);
const pct = (x: number) => `${x.toFixed(1)}%`;

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

async function start(file: string, settings: Record<string, unknown> = {}, pick?: (items: string[]) => string | undefined): Promise<TestClient> {
  const ws = makeWorkspace({ 'profiles/run.austin': readFileSync(file) });
  const cl = await TestClient.start(ws, { settings: { refreshInterval: 50, ...settings }, pick });
  await cl.ready('run.austin');
  return cl;
}

/** Sends the command and waits for the refresh it causes. */
async function setBase(cl: TestClient, ...args: unknown[]): Promise<PercentOfSummary | null> {
  const from = cl.mark();
  const r = await cl.command<PercentOfSummary | null>('flamelens.setPercentOf', ...args);
  if (r) await cl.waitForRequest('workspace/inlayHint/refresh', from);
  return r;
}

describe('percent of what', () => {
  it('rebases line hints on the function executing each line, and back', async () => {
    c = await start(CPU);
    const uri = await c.open('shop/pricing.py');
    const line = lineShares(cpu, '/shop/pricing.py', 28);
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toBe(`${pct(line.total)} · own ${pct(line.own)}`);

    expect(await setBase(c, 'function')).toMatchObject({ base: 'function' });
    await c.waitForNotification<StatusParams>('flamelens/status', (st) => st.percentOf === 'function');
    // pricing.py:28 is in line_total: its share of line_total's time (answer keys: 14.13 of 19.49, about 72.5 %)
    const fn = functionShares(cpu, '/shop/pricing.py', 'line_total');
    const hint = hintAt(await c.inlayHints(uri), 27)!;
    expect(hintFigures(labelOf(hint))).toBe(`${pct((line.total / fn.total) * 100)} · own ${pct((line.own / fn.total) * 100)}`);
    expect(labelOf(hint)).toMatch(/^72\.[45]%/);
    expect(String(hint.tooltip)).toContain('as a share of line_total');
    // hovers of lines follow; the function's own figures stay shares of the scope (a function is 100 % of itself)
    expect(hoverText(await c.hover(uri, 27))).toContain(`**${pct((line.total / fn.total) * 100)}** total`);
    const lens = (await c.codeLenses(uri)).find((l) => l.range.start.line === 24)!;
    expect(lens.command!.title).toMatch(new RegExp(`^${pct(fn.total).replace('.', '\\.')} total`));
    // thresholds still compare shares of the scope: no hint for a line under 0.5 % of the profile
    const hints = await c.inlayHints(uri);
    const cold = lineShares(cpu, '/shop/pricing.py', 29);
    expect(cold.total).toBeLessThan(0.5);
    expect(hintAt(hints, 28)).toBeUndefined();

    expect(await setBase(c, 'scope')).toMatchObject({ base: 'scope' });
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(uri), 27)))).toBe(`${pct(line.total)} · own ${pct(line.own)}`);
  });

  it('keeps shares of the whole profile when one process is picked, with percentOf "profile"', async () => {
    c = await start(CHILDREN, { percentOf: 'profile' });
    const uri = await c.open('shop/pricing.py');
    const all = naiveAustin(CHILDREN);
    const ownAt28 = async () => hintFigures(labelOf(hintAt(await c!.inlayHints(uri), 27))).replace(/^.* · /, '');
    expect(await ownAt28()).toBe(`own ${pct(lineShares(all, '/shop/pricing.py', 28).own)}`);
    const from = c.mark();
    await c.command('flamelens.setScope', { pid: '13336' });
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.scope?.startsWith('process 13336') === true, from);
    // the child's samples only, as a share of every sample of the profile
    const child = naiveAustin(CHILDREN, '13336');
    const ownValue = (lineShares(child, '/shop/pricing.py', 28).own / 100) * child.total;
    expect(await ownAt28()).toBe(`own ${pct((ownValue / all.total) * 100)}`);
    // with the scope as base, the same samples are a share of the child's total
    await setBase(c, 'scope');
    expect(await ownAt28()).toBe(`own ${pct(lineShares(child, '/shop/pricing.py', 28).own)}`);
    const status = c.notifications('flamelens/status').at(-1) as StatusParams;
    expect(status.scope).toBe('process 13336');
  });

  it('asks which base when called without one, and refuses what it does not know', async () => {
    c = await start(CPU, {}, (items) => items.find((i) => i.startsWith('the function')));
    expect(await setBase(c)).toMatchObject({ base: 'function' });
    const ask = c.events.find((e) => e.method === 'window/showMessageRequest')!;
    expect((ask.params as { message: string }).message).toBe('flamelens: percent of what?');
    expect(await c.command('flamelens.setPercentOf', 'thread')).toBeNull();
    expect(await c.command('flamelens.setPercentOf', 42)).toBeNull();
  });
});

describe('saying where the time goes', () => {
  it('names the callee of a line with no own time, in its hint and hover', async () => {
    c = await start(CPU);
    const uri = await c.open('shop/inventory.py');
    // inventory.py:16 `caller = inspect.stack()[1]`: no sample ends there, all of it is in inspect.stack
    const line = lineShares(cpu, '/shop/inventory.py', 16);
    expect(line.own).toBe(0);
    const toStack = callSiteLines(cpu, 'audit', 'stack').get(16)!;
    const share = (toStack / ((line.total / 100) * cpu.total)) * 100;
    expect(share).toBeGreaterThan(99.5);
    expect(labelOf(hintAt(await c.inlayHints(uri), 15))).toBe(`${pct(line.total)} · in inspect.stack`);
    const text = hoverText(await c.hover(uri, 15));
    expect(text).toContain(`**${pct(line.total)}** total`);
    expect(text).toContain(`none of it in the line itself: ${pct(share)} in \`inspect.stack\``);
    expect(text).not.toContain('**0.0%** own');
  });

  it('puts the callee that takes most of a function\'s time in its lens', async () => {
    c = await start(CPU);
    const inventory = await c.open('shop/inventory.py');
    const pricing = await c.open('shop/pricing.py');
    const auditTo = calleeShares(cpu, '/shop/inventory.py', 'audit')[0];
    expect(auditTo.name).toBe('stack');
    const audit = (await c.codeLenses(inventory)).find((l) => l.range.start.line === 14 && l.command?.command === 'flamelens.showCallers')!;
    expect(audit.command!.title).toContain(` · ${Math.round(auditTo.share)}% in inspect.stack · callers: `);
    // best_discount spends most of its time in line_total, a function of the same file: named bare
    const bd = calleeShares(cpu, '/shop/pricing.py', 'best_discount')[0];
    expect(bd.name).toBe('line_total');
    const lens = (await c.codeLenses(pricing)).find((l) => l.range.start.line === 31 && l.command?.command === 'flamelens.showCallers')!;
    expect(lens.command!.title).toContain(` · ${Math.round(bd.share)}% in line_total`);
    // line_total calls nothing worth naming
    const lt = (await c.codeLenses(pricing)).find((l) => l.range.start.line === 24 && l.command?.command === 'flamelens.showCallers')!;
    expect(lt.command!.title).not.toContain('% in ');
  });
});

describe('a module is not a function', () => {
  it('says what module code is, and does not lead a file whose module cost is only imports', async () => {
    c = await start(CPU, { threshold: 0.1 });
    // inventory.py's module code ran at import time (0.63 %, all of it importing `inspect`):
    // above the threshold, and yet no lens; the first lens of the file is audit's
    const inv = functionShares(cpu, '/shop/inventory.py', '<module>');
    expect(inv.total).toBeGreaterThan(0.1);
    const inventory = await c.open('shop/inventory.py');
    const lenses = await c.codeLenses(inventory);
    expect(lenses.some((l) => l.command?.title.includes('<module>'))).toBe(false);
    expect(Math.min(...lenses.map((l) => l.range.start.line))).toBe(14);
    // __main__.py's module code is the program: its lens says so, and where its time goes
    const main = functionShares(cpu, '/shop/__main__.py', '<module>');
    const to = calleeShares(cpu, '/shop/__main__.py', '<module>')[0];
    expect(to.name).toBe('main');
    const uri = await c.open('shop/__main__.py');
    const mod = (await c.codeLenses(uri)).find((l) => l.command?.title.startsWith('<module>'));
    expect(mod?.command?.title).toBe(
      `<module> (run as a script) · ${pct(main.total)} total · ${pct(main.own)} own · ${Math.round(to.share)}% in main · shown at its hottest line`,
    );
    const text = hoverText(await c.hover(uri, mod!.range.start.line));
    // markdown: the parentheses are escaped
    expect(text).toContain('**flamelens** · module code \\(run as a script\\) `<module>` in `shop/__main__.py`');
    expect(text).toContain('Module code has no definition line');
    expect(mod!.command!.tooltip).toMatch(/^Module code has no definition line/);
  });
});
