// The VS Code extension in real VS Code: the packaged .vsix installed into code-server, a workspace
// with the shop sources and a real Austin recording, Chromium reading what the editor displays.
// Needs scripts/setup-code-server.sh (npm test runs it as pretest); fails with that hint otherwise.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded, WORKLOADS } from '../helpers/paths';
import { austinLineShare } from './vscode/austin-line-share';
import {
  freshProfile,
  installExtension,
  launchChromium,
  missingPrerequisites,
  quickPick,
  REPO,
  runCommand,
  startCodeServer,
  waitForNoText,
  waitForText,
  type CodeServer,
} from './vscode/code-server';
import { heatOnLine, lensAboveLine, lineBox, lineText, waitForHeat, waitForLine } from './vscode/editor-dom';

const OUT = join(REPO, 'test', 'output', 'vscode');
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

describe('VS Code extension in code-server', () => {
  let dir: string;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    const missing = missingPrerequisites();
    if (missing) throw new Error(`real VS Code test: ${missing}`);
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'flamelens-vscode-'));

    // The .vsix exactly as a user gets it.
    await promisify(execFile)('npm', ['run', 'package:vscode', '--silent'], { cwd: REPO, timeout: 120_000 });
    const { version } = JSON.parse(readFileSync(join(REPO, 'clients', 'vscode', 'package.json'), 'utf8')) as { version: string };
    const profile = freshProfile(join(dir, 'code'), SETTINGS);
    step('packaged');
    const installed = await installExtension(profile, join(REPO, 'dist', `flamelens-${version}.vsix`));
    expect(installed).toMatch(/flamelens.*successfully installed/i);

    // The workspace: sources where the profile's /home/dev/shop paths can be matched by suffix.
    const ws = join(dir, 'shop-workspace');
    cpSync(join(WORKLOADS, 'shop'), join(ws, 'shop'), { recursive: true });
    cpSync(join(WORKLOADS, 'tests'), join(ws, 'tests'), { recursive: true });
    mkdirSync(join(ws, 'profiles'));
    cpSync(recorded(PROFILE), join(ws, 'profiles', PROFILE));

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
    await quickPick(page, 'thread 12701 (process 12701)');
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

  it('looks right in a dark theme too (screenshot)', async () => {
    await runCommand(page, 'Preferences: Color Theme');
    await page.locator('.quick-input-widget input').fill('Dark Modern');
    await quickPick(page, 'Dark Modern', { partial: true });
    await page.waitForSelector('.monaco-workbench.vs-dark', { timeout: 30_000 });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, 'dark.png') });
    expect(await heatOnLine(page, 28)).toBeGreaterThan(0);
  });
});
