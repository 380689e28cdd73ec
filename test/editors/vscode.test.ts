// The VS Code extension in real VS Code: the packaged .vsix installed into code-server, a workspace
// with the shop sources and a real Austin recording, Chromium reading what the editor displays.
// Needs scripts/setup-code-server.sh (npm test runs it as pretest); without code-server or
// Chromium the suite is skipped and says why (FLAMELENS_REQUIRE_EDITORS=1 makes that a failure).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LineHeat } from '../../server/src/protocol';
import { recorded, WORKLOADS } from '../helpers/paths';
import {
  austinCallers,
  austinFunctionTotal,
  austinHottestLine,
  austinLineShare,
  austinOwnLines,
  austinWorkShare,
} from './vscode/austin-line-share';
import {
  freshProfile,
  installExtension,
  launchChromium,
  missingPrerequisites,
  packagedExtension,
  quickPick,
  quickPickRows,
  REPO,
  editUserSettings,
  runCommand,
  startCodeServer,
  waitForNoText,
  waitForText,
  writeUserSettings,
  type CodeServer,
  type Profile,
} from './vscode/code-server';
import {
  changeOnLine,
  clickLens,
  editorTabs,
  heatOnLine,
  lensAboveLine,
  lineBox,
  lineText,
  waitForChange,
  waitForHeat,
  waitForLine,
} from './vscode/editor-dom';
import { serverLineHeat } from './vscode/server-heat';

const OUT = join(REPO, 'test', 'output', 'vscode');
const MISSING = missingPrerequisites();
if (MISSING && process.env.FLAMELENS_REQUIRE_EDITORS === '1') throw new Error(`real VS Code test: ${MISSING}`);
// vitest's summary only counts skipped tests: say which and why where the run's output shows it
if (MISSING) console.warn(`[flamelens] VS Code suite (test/editors/vscode.test.ts) skipped: ${MISSING}`);
const PROFILE = 'austin3-cpu.austin';
const SETTINGS = JSON.parse(readFileSync(join(__dirname, 'vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;

// The answer, worked out here from the raw file: pricing.py:28's line total (once per sample) over
// the CPU time of all samples. The answer key gives 14.13 % own; the line calls nothing, so total = own.
const share = austinLineShare(recorded(PROFILE), '/shop/pricing.py', 28);
const percent = (share.lineTotal / share.total) * 100;
const expectedPercent = `${percent.toFixed(1)}%`;
// The same line with the scope narrowed to the main thread (pid = tid = 12701 in this recording).
const main = austinLineShare(recorded(PROFILE), '/shop/pricing.py', 28, '12701');
const mainPercent = `${((main.lineTotal / main.total) * 100).toFixed(1)}%`;

// FLAMELENS_TEST_TRACE=1 prints how long each step took; FLAMELENS_KEEP=1 keeps the temporary tree (logs).
const t0 = Date.now();
const step = (what: string) => process.env.FLAMELENS_TEST_TRACE && process.stderr.write(`[vscode ${Date.now() - t0} ms] ${what}\n`);

// Call sites worked out from the raw file (caller, line, share of the callee's total), hottest first.
const lineTotalCallers = austinCallers(recorded(PROFILE), '/shop/pricing.py', 'line_total');
const priceBasketCallers = austinCallers(recorded(PROFILE), '/shop/pricing.py', 'price_basket');

// Navigation (issue 12), from the raw file: audit's total (the hotspot list ranks it by total: its
// time is spent in inspect.stack, which it calls), its call sites, the hot lines by own share.
const mine = (file: string) => file.startsWith('/home/dev/shop/shop/');
const audit = austinFunctionTotal(recorded(PROFILE), '/shop/inventory.py', 'audit');
const auditCallers = austinCallers(recorded(PROFILE), '/shop/inventory.py', 'audit');
const hotLines = austinOwnLines(recorded(PROFILE), mine);
// the seed's hot line: inventory.py:16 `caller = inspect.stack()[1]`, its own time plus inspect's
const seedShare = austinWorkShare(recorded(PROFILE), '/shop/inventory.py', 16, mine);
// where the flame graph opens workers.checksum (a file no test opens before)
const checksumLine = austinHottestLine(recorded(PROFILE), '/shop/workers.py', 'checksum');

// The baseline (issue 13): test/fixtures/pairs/audit-fix, after.austin shown, before.austin the
// baseline. audit's change in seconds of CPU time, from the two raw files (µs).
const PAIR = join(REPO, 'test', 'fixtures', 'pairs', 'audit-fix');
const auditBefore = austinFunctionTotal(join(PAIR, 'before.austin'), '/shop/inventory.py', 'audit');
const auditAfter = austinFunctionTotal(join(PAIR, 'after.austin'), '/shop/inventory.py', 'audit');
const auditDelta = (auditAfter.value - auditBefore.value) / 1e6;
/** Every `−2.76 s` (or `+0.21 s`) in a text, as signed numbers of seconds. */
const seconds = (text: string) => [...text.matchAll(/([−+-])(\d+(?:\.\d+)?) s\b/g)].map((m) => (m[1] === '+' ? 1 : -1) * Number(m[2]));

describe.skipIf(MISSING !== undefined)(`VS Code extension in code-server${MISSING ? ` [skipped: ${MISSING}]` : ''}`, () => {
  let dir: string;
  let ws: string;
  let pairWs: string;
  let codeProfile: Profile;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'flamelens-vscode-'));

    // The .vsix exactly as a user gets it (from the bundles npm test built; see packagedExtension).
    const vsix = await packagedExtension();
    const profile = freshProfile(join(dir, 'code'), SETTINGS);
    codeProfile = profile;
    step('packaged');
    const installed = await installExtension(profile, vsix);
    expect(installed).toMatch(/flamelens.*successfully installed/i);

    // The workspace: sources where the profile's /home/dev/shop paths can be matched by suffix.
    ws = join(dir, 'shop-workspace');
    cpSync(join(WORKLOADS, 'shop'), join(ws, 'shop'), { recursive: true });
    cpSync(join(WORKLOADS, 'tests'), join(ws, 'tests'), { recursive: true });
    mkdirSync(join(ws, 'profiles'));
    cpSync(recorded(PROFILE), join(ws, 'profiles', PROFILE));
    // The pair's workspace: the shop with the fixed inventory.py, both recordings, the newer shown.
    pairWs = join(dir, 'pair-workspace');
    cpSync(join(WORKLOADS, 'shop'), join(pairWs, 'shop'), { recursive: true });
    cpSync(join(PAIR, 'inventory-after.py'), join(pairWs, 'shop', 'inventory.py'));
    mkdirSync(join(pairWs, 'profiles'));
    cpSync(join(PAIR, 'before.austin'), join(pairWs, 'profiles', 'before.austin'));
    cpSync(join(PAIR, 'after.austin'), join(pairWs, 'profiles', 'after.austin'));
    // and a wall-clock recording, which cannot be compared with CPU time
    cpSync(recorded('austin3-wall.austin'), join(pairWs, 'profiles', 'austin3-wall.austin'));
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(pairWs, 'profiles', 'before.austin'), hourAgo, hourAgo);
    utimesSync(join(pairWs, 'profiles', 'austin3-wall.austin'), hourAgo, hourAgo);

    step('installed');
    server = await startCodeServer(profile, ws);
    step('code-server listening');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 }, bypassCSP: true });
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    step('workbench');

    // Open shop/pricing.py from the Explorer (Quick Open may not have indexed the files yet).
    const row = (name: string) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name}$`) }).first();
    await row('shop').click({ timeout: 60_000 });
    await row('pricing.py').click({ timeout: 30_000 });
    await waitForText(page, '.monaco-editor .view-lines', 'def line_total');
    step('pricing.py open');
  }, 170_000);

  // what the editor showed when a test failed, to see why
  afterEach(async (ctx) => {
    if (page && ctx.task.result?.state === 'fail') {
      const name = ctx.task.name.replace(/[^\w]+/g, '-').slice(0, 60);
      await page.screenshot({ path: join(OUT, `failed-${name}.png`) }).catch(() => undefined);
    }
  });

  afterAll(async () => {
    if (page) await page.screenshot({ path: join(OUT, 'last.png') }).catch(() => undefined);
    await browser?.close();
    await server?.stop();
    if (dir && !process.env.FLAMELENS_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) step(`kept ${dir}`);
  });

  it(`shows ${expectedPercent} (the answer key) as the inlay hint of pricing.py line 28`, async () => {
    expect(percent).toBeCloseTo(14.13, 1);
    const line28 = await waitForLine(page, 28, expectedPercent, 60_000);
    step('hint shown');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'hint-lens.png') });
    expect(line28).toContain('total += item.unit_price * factor');
    expect(line28).toContain(expectedPercent);
  });

  it('shows a code lens above line_total that names its callers', async () => {
    const lens = await lensAboveLine(page, 25, 'best_discount');
    expect(lens).toMatch(/callers/);
  });

  it('tints the hot line through flamelens/lineHeat', async () => {
    expect(await heatOnLine(page, 28), 'no flamelens.lineHeat colour on line 28').toBeGreaterThan(0);
  });

  it('shows the breakdown when hovering line 28', async () => {
    const target = await lineBox(page, 28);
    if (!target) throw new Error('line 28 is not on screen');
    await page.mouse.move(target.x + 4, target.y + target.height / 2);
    await page.mouse.move(target.x + 8, target.y + target.height / 2);
    const hover = await waitForText(page, '.monaco-hover', expectedPercent, 30_000);
    await page.screenshot({ path: join(OUT, 'hover.png') });
    expect(hover).toContain(expectedPercent);
    expect(hover).toMatch(/CPU time/i);
    // Close the hover: it covers the lines above, where the next tests click.
    await page.mouse.move(0, 0);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.monaco-hover', { state: 'hidden', timeout: 10_000 });
  });

  it('shows the active profile, metric and sample count in the status bar', async () => {
    const status = await waitForText(page, '.statusbar-item', PROFILE, 30_000);
    expect(status).toContain('CPU time');
    expect(status).toMatch(/5,600 samples/);
  });

  it('moves the hint and the heat with an edit above them, and back on undo', async () => {
    const def = await lineBox(page, 25);
    if (!def) throw new Error('line 25 is not on screen');
    await page.mouse.click(def.x + 2, def.y + def.height / 2);
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await waitForLine(page, 30, expectedPercent);
    expect(await lineText(page, 30)).toContain('total += item.unit_price * factor');
    await waitForHeat(page, 30, true);
    await waitForHeat(page, 28, false);
    // Two undos in case VS Code kept the two line breaks as separate undo stops.
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await waitForLine(page, 28, 'total += item.unit_price * factor');
    await waitForLine(page, 28, expectedPercent);
    await waitForHeat(page, 28, true);
  });

  it('Toggle Annotations goes through workspace/executeCommand and back', async () => {
    await runCommand(page, 'flamelens: Toggle Annotations');
    await waitForNoText(page, '.monaco-editor .view-line', expectedPercent);
    await waitForNoText(page, '.codelens-decoration', 'best_discount');
    await waitForHeat(page, 28, false);
    await runCommand(page, 'flamelens: Toggle Annotations');
    await waitForText(page, '.monaco-editor .view-line', expectedPercent, 30_000);
    expect(await lineText(page, 28)).toContain(expectedPercent);
    await waitForHeat(page, 28, true);
  });

  it('Select Scope narrows the numbers to one thread and back', async () => {
    expect(mainPercent).not.toBe(expectedPercent);
    await runCommand(page, 'flamelens: Select Scope (Process or Thread)');
    expect(await quickPick(page, 'thread 12701 (process 12701)', { partial: true })).toMatch(/ · \d+\.\d%/);
    await waitForLine(page, 28, mainPercent);
    await runCommand(page, 'flamelens: Select Scope (Process or Thread)');
    expect(await quickPick(page, 'all threads', { partial: true })).toContain('all threads');
    await waitForLine(page, 28, expectedPercent);
  });

  it('Select Profile and Select Metric list what the server reports', async () => {
    await runCommand(page, 'flamelens: Select Profile');
    expect(await quickPick(page, PROFILE, { partial: true })).toMatch(/austin-text · 5,600 samples/);
    await runCommand(page, 'flamelens: Select Metric');
    expect(await quickPick(page, 'CPU time', { partial: true })).toContain('cpu · microseconds');
    await waitForLine(page, 28, expectedPercent);
  });

  it('Show Callers lists best_discount and opens its call site', async () => {
    // Put the cursor inside line_total (line 26), then ask for its callers.
    const inside = await lineBox(page, 26);
    if (!inside) throw new Error('line 26 is not on screen');
    await page.mouse.click(inside.x + inside.width, inside.y + inside.height / 2);
    await waitForText(page, '.statusbar-item', /Ln 26\b/, 10_000);
    await runCommand(page, 'flamelens: Show Callers');
    const row = await quickPick(page, 'best_discount', { partial: true });
    expect(row).toMatch(/best_discount[\s\S]*%/);
    // pricing.py:37 `candidate = line_total(item, factor)` is the only call site in the recording.
    await waitForText(page, '.statusbar-item', /Ln 37\b/, 30_000);
  });

  it("a click on line_total's lens offers its callers in a QuickPick (caller, share, place) and opens the chosen call site", async () => {
    const [caller] = lineTotalCallers;
    expect(caller.name).toBe('best_discount');
    await goToLine(page, 25);
    await clickLens(page, 25, 'total');
    // the palette's picker: not window/showMessageRequest's notification with truncated buttons
    const row = await quickPick(page, caller.name, { partial: true, accept: false });
    await page.screenshot({ path: join(OUT, 'lens-callers.png') });
    await quickPick(page, caller.name, { partial: true });
    expect(row).toContain(`${caller.share.toFixed(1)}%`);
    expect(row).toContain(`shop/pricing.py:${caller.line}`);
    await waitForText(page, '.statusbar-item', new RegExp(`Ln ${caller.line}\\b`), 30_000);
    expect(await page.locator('.notifications-toasts .notification-toast').count()).toBe(0);
  });

  it('a caller in another file opens in a tab of its own (not the preview tab), from the QuickPick and from its → link', async () => {
    const [caller] = priceBasketCallers;
    expect(caller.name).toBe('do_pricing');
    expect(caller.file).toMatch(/\/shop\/__main__\.py$/);
    const follow = async (lens: string, pick?: string) => {
      await goToLine(page, 43);
      await clickLens(page, 43, lens);
      if (pick) await quickPick(page, pick, { partial: true });
      await waitForText(page, '.statusbar-item', new RegExp(`Ln ${caller.line}\\b`), 30_000);
      const tabs = await editorTabs(page);
      expect(tabs.find((t) => t.label === '__main__.py'), JSON.stringify(tabs)).toMatchObject({ preview: false, active: true });
      expect(tabs.map((t) => t.label)).toContain('pricing.py');
      await runCommand(page, 'View: Close Editor');
      await waitForText(page, '.tabs-container .tab.active', 'pricing.py', 10_000);
    };
    await follow('total', caller.name);
    await follow(`→ ${caller.name}`);
  });

  it('tints each line at the step the server sends (its level, else heat in quarters): four steps', async () => {
    // what the server sends for this file, read by a second, plain LSP client of the same bundle
    const copy = join(dir, 'server-heat');
    cpSync(ws, copy, { recursive: true });
    const heat = await serverLineHeat(join(REPO, 'clients', 'vscode', 'dist', 'server.js'), copy, join(copy, 'shop', 'pricing.py'));
    const tint = (l: LineHeat) => l.level ?? (l.heat <= 0.25 ? 1 : l.heat <= 0.5 ? 2 : l.heat <= 0.75 ? 3 : 4);
    expect(heat.find((l) => l.line === 27), 'the server sent no heat for line 28').toBeDefined();
    await goToLine(page, 28);
    await waitForHeat(page, 28, true);
    const checked: number[] = [];
    for (let n = 1; n <= 60; n++) {
      if ((await lineBox(page, n)) === null) continue; // off screen, or a blank line
      const sent = heat.find((l) => l.line === n - 1);
      expect(await heatOnLine(page, n), `line ${n}: ${JSON.stringify(sent)}`).toBe(sent ? tint(sent) : 0);
      if (sent) checked.push(n);
    }
    expect(checked).toContain(28);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'heat.png') });
  });

  it('flamelens: Hotspots lists the functions by cost (inventory.audit · 20.8% total) and opens one in a file that was not open', async () => {
    const auditLabel = `inventory.audit · ${audit.percent.toFixed(1)}% total`;
    expect(audit.percent).toBeCloseTo(20.77, 1);
    expect((await editorTabs(page)).map((t) => t.label)).not.toContain('inventory.py');
    await waitForText(page, '.statusbar-item', '5,600 samples', 30_000);
    await runCommand(page, 'flamelens: Hotspots');
    const rows = await quickPickRows(page, 6);
    await page.screenshot({ path: join(OUT, 'hotspots.png') });
    // label, then the place (file:line where the function begins: inventory.py:15 `def audit`)
    expect(rows.find((r) => r.startsWith(auditLabel))).toBe(`${auditLabel} · shop/inventory.py:15`);
    // pricing.line_total is ranked by its own share: the answer key's 19.50 %
    const lineTotal = austinFunctionTotal(recorded(PROFILE), '/shop/pricing.py', 'line_total');
    expect(lineTotal.ownPercent).toBeCloseTo(19.5, 1);
    expect(rows.find((r) => r.startsWith('pricing.line_total'))).toBe(`pricing.line_total · ${lineTotal.ownPercent.toFixed(1)}% own · shop/pricing.py:25`);
    await quickPick(page, auditLabel, { partial: true });
    await waitForText(page, '.tabs-container .tab.active', 'inventory.py', 30_000);
    await waitForText(page, '.statusbar-item', /Ln 15\b/, 30_000);
    expect((await editorTabs(page)).find((t) => t.label === 'inventory.py')).toMatchObject({ preview: false, active: true });
  });

  it("inventory.py: audit's lens on its own line and the seed's hot line (16, inspect.stack) at the hottest tint (screenshot)", async () => {
    // line 16's own time plus the library time under it, as the server measures heat: >= 15 % is step 4
    expect(seedShare).toBeGreaterThanOrEqual(15);
    await waitForLine(page, 16, 'caller = inspect.stack()[1]');
    await waitForHeat(page, 16, true);
    expect(await heatOnLine(page, 16)).toBe(4);
    const lens = await lensAboveLine(page, 15, `${audit.percent.toFixed(1)}%`);
    expect(lens).toMatch(/Inventory\.(receive|ship)/);
    // the lens is a row of its own: line 15 shows the def and nothing else of the lens
    expect(await lineText(page, 15)).toMatch(/^\s*def audit\(message\):\s*$/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'seed-line.png') });
  });

  it("the call hierarchy view lists audit's callers (Inventory.receive, Inventory.ship) with their shares and opens one", async () => {
    const [first, second] = auditCallers;
    expect([first, second].map((c) => [c.name, c.line])).toEqual([
      ['Inventory.receive', 34],
      ['Inventory.ship', 42],
    ]);
    await goToLine(page, 15);
    await runCommand(page, 'Calls: Show Call Hierarchy');
    const label = (c: typeof first) => `inventory.${c.name} · ${c.share.toFixed(1)}%`;
    const tree = '.part.sidebar .monaco-list-row';
    const row = await waitForText(page, tree, label(first), 30_000);
    await waitForText(page, tree, label(second), 30_000);
    expect(row).toContain(label(first));
    await page.screenshot({ path: join(OUT, 'call-hierarchy.png') });
    // following a caller opens its call site
    await page.locator(tree, { hasText: label(second) }).first().click();
    await waitForText(page, '.statusbar-item', new RegExp(`Ln ${second.line}\\b`), 30_000);
    await runCommand(page, 'View: Show Explorer');
  });

  it('with flamelens.diagnostics { enabled: true } the Problems panel lists the hot lines; turned off, they go', async () => {
    const [hottest, next] = hotLines;
    await editUserSettings(page, { ...SETTINGS, 'flamelens.diagnostics': { enabled: true } });
    await runCommand(page, 'Problems: Focus on Problems View');
    const problems = '.markers-panel .monaco-list-row';
    const one = await waitForText(page, problems, 'hot line #1', 30_000);
    const two = await waitForText(page, problems, 'hot line #2', 30_000);
    await page.screenshot({ path: join(OUT, 'problems.png') });
    // the hottest lines by own share, computed from the raw recording: workers.py:12, then
    // pricing.py:28 (the answer key's 14.13 %)
    expect(one).toContain(`hot line #1: ${hottest.percent.toFixed(1)}% own`);
    expect(two).toContain(`hot line #2: ${next.percent.toFixed(1)}% own`);
    expect(next).toMatchObject({ file: '/home/dev/shop/shop/pricing.py', line: 28 });
    expect(next.percent).toBeCloseTo(14.13, 1);
    await editUserSettings(page, SETTINGS);
    await waitForNoText(page, problems, 'hot line #', 30_000);
    await runCommand(page, 'View: Toggle Panel Visibility');
  });

  it('flamelens: Open Flame Graph shows the page in a webview beside the editor; a click on a frame opens its file there', async () => {
    await runCommand(page, 'flamelens: Open Flame Graph');
    await waitForText(page, '.tabs-container .tab', 'flamelens: flame graph', 30_000);
    // the page itself, framed inside the webview (code-server reaches it through its port proxy)
    let graph: Frame | undefined;
    const deadline = Date.now() + 40_000;
    while (!graph) {
      for (const f of page.frames()) {
        if ((await f.evaluate('document.documentElement.dataset.ready').catch(() => undefined)) === 'true') graph = f;
      }
      if (Date.now() > deadline) throw new Error(`no flame graph page ready among the frames: ${page.frames().map((f) => f.url()).join(', ')}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
    const url = graph.url();
    // what the server serves there, fetched as any HTTP client would: the page with the profile's data
    const data = await httpGet(new URL('data.json', url).href);
    expect(data.status).toBe(200);
    expect(JSON.parse(data.body).profile).toBe(PROFILE);
    type Drawn = { name: string; x: number; y: number; w: number; h: number };
    const frames = (await graph.evaluate('window.flamelens.frames()')) as Drawn[];
    const checksum = frames.filter((f) => f.name === 'checksum').sort((a, b) => b.w - a.w)[0];
    expect(checksum, frames.map((f) => f.name).join(', ')).toBeDefined();
    await page.screenshot({ path: join(OUT, 'flame-graph.png') });
    expect((await editorTabs(page)).map((t) => t.label)).not.toContain('workers.py');
    // frames() gives places in the page's own viewport, which is the frame's html element
    await graph.locator('html').click({ position: { x: checksum.x + checksum.w / 2, y: checksum.y + checksum.h / 2 } });
    // workers.py opens at checksum's hottest line, in the editor next to the graph, which stays open
    await waitForText(page, '.tabs-container .tab.active', 'workers.py', 30_000);
    await waitForText(page, '.statusbar-item', new RegExp(`Ln ${checksumLine}\\b`), 30_000);
    const tabs = await editorTabs(page);
    expect(tabs.map((t) => t.label)).toContain('flamelens: flame graph');
    expect(await page.locator('.editor-group-container').count()).toBe(2);
    await page.screenshot({ path: join(OUT, 'flame-graph-click.png') });
    // from the editor, the sandwich of the function under the cursor (checksum: its callers above)
    await runCommand(page, 'flamelens: Open Flame Graph of This Function');
    let sandwich: Frame | undefined;
    await expect
      .poll(async () => {
        sandwich = page.frames().find((f) => f.url().includes('#fn=checksum'));
        return sandwich ? await sandwich.evaluate("document.getElementById('sandwich-name')?.textContent").catch(() => null) : null;
      }, { timeout: 30_000 })
      .toBe('checksum');
    const shown = (await sandwich!.evaluate('window.flamelens.frames()')) as (Drawn & { pane: string })[];
    expect(shown.filter((f) => f.pane === 'callers').map((f) => f.name)).toContain('worker');
    await page.screenshot({ path: join(OUT, 'flame-graph-sandwich.png') });
  });

  it('looks right in a dark theme too (screenshot)', async () => {
    await runCommand(page, 'Preferences: Color Theme');
    await page.locator('.quick-input-widget input').fill('Dark Modern');
    await quickPick(page, 'Dark Modern', { partial: true });
    await page.waitForSelector('.monaco-workbench.vs-dark', { timeout: 30_000 });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'dark.png') });
    // workers.py, opened from the flame graph beside it: checksum's hot line keeps its tint
    expect(await heatOnLine(page, checksumLine)).toBeGreaterThan(0);
  });
  it('flamelens: Select Baseline compares after.austin with before.austin: the Δ on audit (about −2.76 s) in its lens and hint, the status, a change bar', async () => {
    expect(auditDelta).toBeCloseTo(-2.755, 2);
    // another folder in the same code-server: the fixed sources with both recordings
    writeUserSettings(codeProfile, SETTINGS);
    await page.goto(`${server!.url}?folder=${encodeURIComponent(pairWs)}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    const row = (name: string) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name}$`) }).first();
    await row('shop').click({ timeout: 60_000 });
    await row('inventory.py').click({ timeout: 30_000 });
    await waitForText(page, '.monaco-editor .view-lines', 'def audit', 60_000);
    await waitForText(page, '.statusbar-item', 'after.austin', 60_000);
    await waitForLine(page, 17, 'def audit');
    await runCommand(page, 'flamelens: Select Baseline');
    const rows = await quickPickRows(page, 4);
    expect(rows[0]).toMatch(/^None/);
    expect(rows.some((r) => r.startsWith('Previous profile'))).toBe(true);
    // a baseline that measures something else: no numbers, and the status and a message say so
    await quickPick(page, 'austin3-wall.austin', { partial: true });
    await waitForText(page, '.statusbar-item', 'no comparison', 30_000);
    expect(await waitForText(page, '.notifications-toasts', 'cannot compare', 30_000)).toMatch(/CPU time[\s\S]*wall/);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'flamelens: Select Baseline');
    // the picker marks the baseline in use
    await quickPickRows(page, 4);
    const checked = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.codicon-check') });
    expect(await checked.count()).toBe(1);
    expect(await checked.first().innerText()).toContain('austin3-wall.austin');
    await quickPick(page, 'before.austin', { partial: true });
    // the status says what is compared with what
    await waitForText(page, '.statusbar-item', 'after.austin vs before.austin', 60_000);
    // audit's lens and the hint on its old hot line (16 in the baseline, 18 now) carry the change
    const lens = await lensAboveLine(page, 17, ' s (', 60_000);
    const hint = await waitForLine(page, 18, '−', 30_000);
    const near = (text: string) => seconds(text).some((v) => Math.abs(v - auditDelta) <= 0.006);
    expect(near(lens), lens).toBe(true);
    expect(lens).toContain('vs before.austin');
    expect(near(hint), hint).toBe(true);
    // the line whose cost is gone carries the improvement bar, none the regression one
    await waitForChange(page, 18, 'improvement');
    for (let n = 1; n <= 45; n++) expect(await changeOnLine(page, n).catch(() => ''), `line ${n}`).not.toBe('regression');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'baseline.png') });
    // and back to no comparison
    await runCommand(page, 'flamelens: Select Baseline');
    await quickPick(page, 'None', { partial: true });
    await waitForNoText(page, '.statusbar-item', ' vs before.austin', 30_000);
    await waitForChange(page, 18, '');
  }, 150_000);
});

/** Moves the cursor to line `n` (1-based) with Go to Line, which scrolls it into view. */
async function goToLine(page: Page, n: number): Promise<void> {
  await runCommand(page, 'Go to Line/Column...');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`:${n}`);
  await input.press('Enter');
  await waitForText(page, '.statusbar-item', new RegExp(`Ln ${n}\\b`), 10_000);
}

/** A plain HTTP GET, as any client that is not the editor would make it. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}
