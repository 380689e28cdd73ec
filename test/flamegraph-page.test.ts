// The flame graph page in real Chromium (playwright-core): served by FlameGraphServer on
// 127.0.0.1, and written offline by `flamelens flamegraph`. Expected shares come from the raw
// file through test/lsp/naive-austin.ts, never from the code under test.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../server/src/cli/cli';
import { loadProfile } from '../server/src/core/load';
import type { Profile } from '../server/src/core/model';
import { FlameGraphServer, type FlameData, type FrameLocation, type OpenResult } from '../server/src/flamegraph/http';
import { CHROMIUM, launchChromium } from './editors/vscode/code-server';
import { recorded } from './helpers/paths';
import { naiveAustin } from './lsp/naive-austin';

// Page functions run in the browser; the project's tsconfig has no DOM library for tests.
declare const document: { documentElement: { dataset: Record<string, string> }; querySelectorAll(s: string): { length: number } };
declare const window: { flamelens: { frames(): DrawnFrame[] } };

interface DrawnFrame {
  pane: string;
  name: string;
  parent: string | null;
  x: number;
  y: number;
  w: number;
  h: number;
}

const CPU = recorded('austin3-cpu.austin');
const naive = naiveAustin(CPU);
const pct = (v: number) => `${((v / naive.total) * 100).toFixed(2)}%`;
/** Sum of the samples for which `pick` holds. */
const sum = (pick: (frames: { name: string; line: number; file: string }[]) => boolean) =>
  naive.samples.reduce((s, x) => (pick(x.frames) ? s + x.value : s), 0);

const noChromium = existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is missing; scripts/setup-code-server.sh installs it)`;

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 30_000 });
}

async function frames(page: Page): Promise<DrawnFrame[]> {
  return page.evaluate(() => window.flamelens.frames());
}

async function hover(page: Page, f: DrawnFrame): Promise<string> {
  await page.mouse.move(f.x + f.w / 2, f.y + f.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  return (await page.locator('#tooltip').innerText()).replace(/\s+/g, ' ');
}

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0];
}

/** A raw HTTP GET/POST with any Host header (a browser would not let a test forge it). */
function raw(url: string, opts: { method?: string; host?: string; origin?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: u.port, path: u.pathname, method: opts.method ?? 'GET', headers: { host: opts.host ?? u.host, ...(opts.origin ? { origin: opts.origin } : {}) } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe.skipIf(noChromium !== '')(`flame graph page served by the language server${noChromium}`, () => {
  let browser: Browser;
  let server: FlameGraphServer;
  let url = '';
  let profile: Profile;
  let current: FlameData | undefined;
  const opened: FrameLocation[] = [];
  let answer: OpenResult = 'opened';
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    profile = (await loadProfile(CPU)).profile;
    current = { profile, metric: 'cpu', scope: {}, label: 'austin3-cpu.austin', scopeLabel: 'all samples (5 threads)' };
    server = new FlameGraphServer({
      data: () => current,
      open: async (f) => {
        opened.push(f);
        return answer;
      },
      log: (m) => problems.push(`log: ${m}`),
      refreshMs: 50,
    });
    url = await server.start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    await ready(page);
  });

  afterAll(async () => {
    await browser?.close();
    server?.dispose();
  });

  it('serves on 127.0.0.1 with a token in the path', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/$/);
  });

  it('shows audit under Inventory.receive and Inventory.ship, with its answer-key share in the tooltip', async () => {
    const drawn = await frames(page);
    const audits = drawn.filter((f) => f.name === 'audit');
    expect(audits.map((f) => f.parent).sort()).toEqual(['Inventory.receive', 'Inventory.ship']);
    const all = pct(sum((fr) => fr.some((f) => f.name === 'audit')));
    expect(all).toBe('20.77%'); // the answer key, from the same raw file
    for (const f of audits) {
      const under = sum((fr) => fr.some((x, i) => x.name === 'audit' && fr[i - 1]?.name === f.parent));
      const text = await hover(page, f);
      expect(text).toContain(`total ${pct(under)}`);
      expect(text).toContain(`audit in all call sites: total ${all}`);
      expect(text).toContain('/home/dev/shop/shop/inventory.py:16');
      const samples = naive.samples.filter((x) => x.frames.some((y, i) => y.name === 'audit' && x.frames[i - 1]?.name === f.parent)).length;
      expect(text).toContain(`samples ${samples.toLocaleString('en-US')}`);
    }
  });

  it('search for "stack" reports the share of the samples that ran it (about 20.8 %)', async () => {
    await page.fill('#search', 'stack');
    const want = sum((fr) => fr.some((f) => f.name.toLowerCase().includes('stack')));
    expect(Math.abs((want / naive.total) * 100 - 20.8)).toBeLessThan(0.1);
    await expect.poll(() => page.locator('#status').innerText()).toContain(`"stack": ${pct(want)} of all`);
    await page.fill('#search', '');
    await expect.poll(() => page.locator('#status').innerText()).toBe('');
  });

  it('clicking line_total asks the editor to open pricing.py at its hottest line, and zooms to it', async () => {
    const hottest = new Map<number, number>();
    for (const s of naive.samples) {
      const lines = new Set(s.frames.filter((f) => f.name === 'line_total').map((f) => f.line));
      for (const l of lines) hottest.set(l, (hottest.get(l) ?? 0) + s.value);
    }
    const line = [...hottest].sort((a, b) => b[1] - a[1])[0][0];
    expect(line).toBe(28);
    const target = (await frames(page)).filter((f) => f.name === 'line_total').sort((a, b) => b.w - a.w)[0];
    opened.length = 0;
    await page.mouse.click(target.x + target.w / 2, target.y + target.h / 2);
    await expect.poll(() => opened.length).toBe(1);
    expect(opened[0]).toEqual({ file: '/home/dev/shop/shop/pricing.py', line, name: 'line_total' });
    await expect.poll(() => page.locator('#message').isHidden()).toBe(true);
    // zoomed: line_total is now drawn the full width of the graph
    const width = await page.locator('#graph').evaluate((e) => (e as unknown as { clientWidth: number }).clientWidth);
    const zoomed = (await frames(page)).find((f) => f.name === 'line_total' && f.parent === target.parent)!;
    expect(zoomed.w).toBeCloseTo(width, 0);
    await page.click('#zoom-out');
    const back = (await frames(page)).find((f) => f.name === 'all')!;
    expect(back.w).toBeCloseTo(width, 0);
  });

  it('says "no source file for this frame" when the editor finds no file', async () => {
    answer = 'no-file';
    try {
      const f = (await frames(page)).find((x) => x.name === 'best_discount')!;
      await page.mouse.click(f.x + f.w / 2, f.y + f.h / 2);
      await expect.poll(() => page.locator('#message').innerText()).toContain('no source file for this frame');
    } finally {
      answer = 'opened';
      await page.click('#zoom-out');
    }
  });

  it('shows the sandwich of a function: callers above, callees below', async () => {
    const audit = (await frames(page)).find((f) => f.name === 'audit')!;
    await page.mouse.click(audit.x + audit.w / 2, audit.y + audit.h / 2);
    await page.click('#view-sandwich');
    const drawn = await frames(page);
    const callers = drawn.filter((f) => f.pane === 'callers');
    const callees = drawn.filter((f) => f.pane === 'callees');
    expect(callers.filter((f) => f.parent === 'audit').map((f) => f.name).sort()).toEqual(['Inventory.receive', 'Inventory.ship']);
    expect(callees.filter((f) => f.parent === 'audit').map((f) => f.name)).toContain('stack');
    // the callers root is above the callees: inverted callers grow upwards from the function
    const callersRoot = only(callers.filter((f) => f.parent === null), 'callers root');
    const calleesRoot = only(callees.filter((f) => f.parent === null), 'callees root');
    expect(callersRoot.y).toBeLessThan(calleesRoot.y);
    const receive = callers.find((f) => f.name === 'Inventory.receive')!;
    const v = sum((fr) => fr.some((x, i) => x.name === 'audit' && fr[i - 1]?.name === 'Inventory.receive'));
    const text = await hover(page, receive);
    expect(text).toContain(`total ${pct(v)}`);
    expect(text).toContain('/home/dev/shop/shop/inventory.py:34');
    await page.click('#view-flame');
  });

  it('follows the editor: a new metric is pushed to the open page', async () => {
    current = { ...current!, metric: 'samples' };
    server.changed();
    await expect.poll(() => page.locator('#meta').innerText()).toContain(`samples, all samples (5 threads), total ${naive.samples.length.toLocaleString('en-US')}`);
    current = { ...current!, metric: 'cpu' };
    server.changed();
    await expect.poll(() => page.locator('#meta').innerText()).toContain('CPU time');
  });

  it('says so when the editor has no active profile, and draws again when it has one', async () => {
    const before = current;
    current = undefined;
    server.changed();
    await expect.poll(() => page.locator('#status').innerText()).toContain('No profile is active');
    expect(await page.locator('#main').isHidden()).toBe(true);
    current = before;
    server.changed();
    await expect.poll(() => page.locator('#main').isVisible()).toBe(true);
    expect((await frames(page)).some((f) => f.name === 'audit')).toBe(true);
  });

  it('colours by change when a baseline is given, and says so in the tooltip', async () => {
    const baseline = (await loadProfile(recorded('austin3-wall.austin'))).profile;
    current = { ...current!, metric: 'cpu', baseline: { profile: baseline, label: 'austin3-wall.austin' } };
    // the baseline has no cpu metric: no change is shown rather than a wrong one
    server.changed();
    await expect.poll(() => page.locator('#legend').isHidden()).toBe(true);
    // the real before/after pair (test/fixtures/pairs/audit-fix): audit lost 2.75 s, workers.worker is unchanged code
    const pair = join(__dirname, 'fixtures', 'pairs', 'audit-fix');
    const before = (await loadProfile(join(pair, 'before.austin'))).profile;
    const after = (await loadProfile(join(pair, 'after.austin'))).profile;
    const saved = current;
    // the run before the fix against the run after it (so that audit is wide enough to point at)
    current = { profile: before, metric: 'cpu', scope: {}, label: 'before.austin', scopeLabel: 'all samples', baseline: { profile: after, label: 'after.austin' } };
    server.changed();
    await expect.poll(() => page.locator('#legend').isVisible()).toBe(true);
    expect(await page.locator('#baseline').innerText()).toBe('vs after.austin');
    // in seconds, not in shares: audit under Inventory.receive took 1.39 s before and 2 ms after (answer keys)
    const audits = (await frames(page)).filter((f) => f.name === 'audit');
    expect(audits.length).toBeGreaterThan(0);
    expect(await hover(page, audits[0])).toMatch(/\+1\.[34]\d s vs baseline \(slower\)/);
    // unchanged code whose share rose 12 points is within sampling noise, not a regression
    const drawn = await frames(page);
    const worker = drawn.find((f) => f.name === 'worker');
    expect(worker, drawn.map((f) => f.name).join(', ')).toBeDefined();
    expect(await hover(page, worker!)).toMatch(/no change beyond sampling noise vs baseline/);
    current = { ...saved!, baseline: undefined };
    server.changed();
    await expect.poll(() => page.locator('#legend').isHidden()).toBe(true);
  });

  it('renders names from the profile as text, never as markup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flamelens-xss-'));
    try {
      const path = join(dir, 'x.austin');
      const evil = '<img src=x onerror=document.title=1>';
      require('node:fs').writeFileSync(path, `# austin: 3.7.0\n# interval: 1000\n# mode: cpu\n\nP1;T0:1;/app/a.py:${evil}:3 100\n`);
      const p = (await loadProfile(path)).profile;
      const before = current;
      current = { profile: p, metric: 'cpu', scope: {}, label: '<b>x.austin</b>', scopeLabel: 'all samples' };
      server.changed();
      await expect.poll(() => page.locator('#title').innerText()).toBe('<b>x.austin</b>');
      const f = (await frames(page)).find((x) => x.name === evil)!;
      expect(await hover(page, f)).toContain(evil);
      expect(await page.evaluate(() => document.querySelectorAll('img, b').length)).toBe(0);
      current = before;
      server.changed();
      await expect.poll(() => page.locator('#title').innerText()).toBe('austin3-cpu.austin');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loaded nothing but its own server, with no console error (CSP violations included)', () => {
    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(origin + '/'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('answers 403 without the token, with a foreign Host, and for anything else', async () => {
    const u = new URL(url);
    const token = u.pathname.split('/')[1];
    const ok = await raw(url);
    expect(ok.status).toBe(200);
    const csp = String(ok.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/unsafe|\*|https?:/);
    expect((await raw(`${u.origin}/`)).status).toBe(403);
    expect((await raw(`${u.origin}/data.json`)).status).toBe(403);
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await raw(`${u.origin}/${wrong}/`)).status).toBe(403);
    expect((await raw(`${u.origin}/${token.slice(1)}/`)).status).toBe(403);
    // DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends its own Host
    expect((await raw(url, { host: `attacker.example:${u.port}` })).status).toBe(403);
    expect((await raw(url, { host: '127.0.0.1' })).status).toBe(403);
    expect((await raw(`${url}data.json`, { host: `localhost:${u.port}` })).status).toBe(200);
    expect((await raw(`${url}nothing`)).status).toBe(403);
    expect((await raw(url, { method: 'DELETE' })).status).toBe(403);
    // a POST from another origin is refused before the editor hears of it
    opened.length = 0;
    const body = JSON.stringify({ file: '/home/dev/shop/shop/pricing.py', line: 28, name: 'line_total' });
    expect((await raw(`${url}open`, { method: 'POST', origin: 'http://attacker.example', body })).status).toBe(403);
    expect(opened).toEqual([]);
    // a forwarded address the editor asked for is accepted, and only that one
    const external = 'https://editor.example:8443/proxy/1234/';
    expect((await raw(url, { host: 'editor.example:8443' })).status).toBe(403);
    server.allowExternal(external);
    expect((await raw(url, { host: 'editor.example:8443' })).status).toBe(200);
    expect((await raw(`${url}open`, { method: 'POST', host: 'editor.example:8443', origin: 'https://editor.example:8443', body })).status).toBe(200);
    expect(opened).toHaveLength(1);
    opened.length = 0;
    expect((await raw(url, { host: 'editor.example:8444' })).status).toBe(403);
    // and only frames of the profile are opened
    const other = await raw(`${url}open`, { method: 'POST', origin: u.origin, body: JSON.stringify({ file: '/etc/passwd', line: 1, name: 'x' }) });
    expect(JSON.parse(other.body)).toEqual({ result: 'no-file' });
    expect(opened).toEqual([]);
  });
});

describe.skipIf(noChromium !== '')(`flamelens flamegraph: the offline file in Chromium${noChromium}`, () => {
  let browser: Browser;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-flamegraph-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders with no network request and no console error, and shows the same numbers', async () => {
    const out = join(dir, 'cpu.html');
    let text = '';
    const io = { out: (t: string) => void (text += t), err: (t: string) => void (text += t), isTty: false, env: {} };
    expect(await runCli(['flamegraph', CPU, '-o', out], io)).toBe(0);
    expect(text).toMatch(/^wrote .*cpu\.html \(\d[\d,]* frames, \d+ KiB\)\n$/);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const fileUrl = `file://${out}`;
    const requests: string[] = [];
    const problems: string[] = [];
    // everything but the file itself would leave the file: record and refuse it
    await context.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url() === fileUrl ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => r.url() !== fileUrl && problems.push(`request ${r.url()}`));
    await page.goto(fileUrl);
    await ready(page);
    const audit = (await frames(page)).find((f) => f.name === 'audit' && f.parent === 'Inventory.ship')!;
    const under = sum((fr) => fr.some((x, i) => x.name === 'audit' && fr[i - 1]?.name === 'Inventory.ship'));
    const tip = await hover(page, audit);
    expect(tip).toContain(`total ${pct(under)}`);
    expect(tip).toContain('total 20.77%');
    await page.fill('#search', 'stack');
    await expect.poll(() => page.locator('#status').innerText()).toMatch(/"stack": 20\.\d\d% of all/);
    // offline: a click zooms and names the location instead of asking a server
    await page.mouse.click(audit.x + audit.w / 2, audit.y + audit.h / 2);
    await expect.poll(() => page.locator('#message').innerText()).toContain('/home/dev/shop/shop/inventory.py:16');
    expect(requests).toEqual([fileUrl]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refuses to write HTML to a terminal', async () => {
    let err = '';
    const io = { out: () => undefined, err: (t: string) => void (err += t), isTty: true, env: {} };
    expect(await runCli(['flamegraph', CPU], io)).toBe(2);
    expect(err).toContain('give -o FILE.html or redirect stdout');
  });

  it('writes to stdout when it is not a terminal', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: () => undefined, isTty: false, env: {} };
    expect(await runCli(['flamegraph', CPU, '--tid', '12901'], io)).toBe(0);
    expect(out.startsWith('<!doctype html>')).toBe(true);
    const json = /<script type="application\/json" id="flame-data">(.*?)<\/script>/s.exec(out)![1];
    const data = JSON.parse(json) as { scope: string; graph: { total: number } };
    expect(data.scope).toBe('thread 12901 of process 12701');
    const want = readFileSync(CPU, 'utf8').split('\n').filter((l) => l.startsWith('P12701;T0:12901'))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(data.graph.total).toBe(want);
  });
});
