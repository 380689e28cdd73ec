// Real VS Code for tests: code-server (installed by scripts/setup-code-server.sh) serving a
// workspace on 127.0.0.1, driven through Debian's Chromium with playwright-core.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

const run = promisify(execFile);
// Page functions run in the browser; the project's tsconfig has no DOM library.
declare const document: { querySelectorAll(selector: string): ArrayLike<{ innerText: string }> };
interface Row {
  innerText: string;
  getAttribute(name: string): string | null;
  querySelector(selector: string): Row | null;
}

export const REPO = resolve(__dirname, '..', '..', '..');
export const CODE_SERVER = process.env.FLAMELENS_CODE_SERVER ?? join(REPO, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.FLAMELENS_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that work for headless Chromium in containers and CI machines (no GPU, no sandbox). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Why the real-editor test cannot run here, or undefined when it can. */
export function missingPrerequisites(): string | undefined {
  const missing = [
    existsSync(CODE_SERVER) ? '' : `code-server (${CODE_SERVER})`,
    existsSync(CHROMIUM) ? '' : `chromium (${CHROMIUM})`,
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(' and ')}: run scripts/setup-code-server.sh (npm test runs it as pretest)`;
}

/**
 * The .vsix exactly as a user gets it, packaged from the bundles `npm test` (npm run build) has
 * just built: they are built here only when missing, so that this suite never rewrites a bundle
 * another suite may be running. vsce only zips what is there (the manifest has no prepublish step).
 */
export async function packagedExtension(): Promise<string> {
  const client = join(REPO, 'clients', 'vscode');
  if (!['extension.js', 'server.js'].every((f) => existsSync(join(client, 'dist', f)))) {
    await run(process.execPath, [join(REPO, 'scripts', 'build.mjs'), 'vscode'], { cwd: REPO, timeout: 120_000 });
  }
  const { version } = JSON.parse(readFileSync(join(client, 'package.json'), 'utf8')) as { version: string };
  const out = join(REPO, 'dist');
  mkdirSync(out, { recursive: true });
  const vsce = join(REPO, 'node_modules', '.bin', 'vsce');
  await run(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--out', `${out}/`], { cwd: client, timeout: 120_000 });
  return join(out, `flamelens-${version}.vsix`);
}

export interface Profile {
  /** --user-data-dir */
  user: string;
  /** --extensions-dir */
  extensions: string;
}

/** A fresh user-data and extensions directory with the given User/settings.json. */
export function freshProfile(dir: string, settings: Record<string, unknown>): Profile {
  const user = join(dir, 'user');
  const extensions = join(dir, 'extensions');
  mkdirSync(join(user, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(join(user, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return { user, extensions };
}

export async function installExtension(profile: Profile, vsix: string): Promise<string> {
  const { stdout } = await run(
    CODE_SERVER,
    ['--user-data-dir', profile.user, '--extensions-dir', profile.extensions, '--install-extension', vsix],
    { timeout: 60_000 },
  );
  return stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

export interface CodeServer {
  url: string;
  /** Everything code-server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts code-server on a free local port and resolves once it listens. */
export async function startCodeServer(profile: Profile, workspace: string): Promise<CodeServer> {
  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', profile.user,
    '--extensions-dir', profile.extensions,
    workspace,
  ];
  // Its own process group, so that stop() also ends the extension host and the language server.
  const child: ChildProcess = spawn(CODE_SERVER, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((ok, fail) => {
    const onData = () => {
      if (/HTTP server listening on/.test(log)) {
        child.stdout?.off('data', onData);
        ok();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`code-server exited with ${code} before listening:\n${log}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  return { url: `http://127.0.0.1:${port}/`, output: () => log, stop };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Resolves once some element matching `selector` has text containing `text` (or matching it). */
export async function waitForText(page: Page, selector: string, text: string | RegExp, timeout = 60_000): Promise<string> {
  const source = typeof text === 'string' ? { s: text } : { r: text.source, f: text.flags };
  const handle = await page.waitForFunction(
    ([sel, t]) => {
      const match = (s: string) => ('s' in t ? s.includes(t.s as string) : new RegExp(t.r as string, t.f as string).test(s));
      // Monaco renders spaces as no-break spaces.
      return Array.from(document.querySelectorAll(sel), (e) => e.innerText.replace(/\u00a0/g, ' ')).find(match) ?? false;
    },
    [selector, source] as const,
    { timeout },
  );
  return (await handle.jsonValue()) as string;
}

/** Resolves once no element matching `selector` has text containing `text`. */
export async function waitForNoText(page: Page, selector: string, text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    ([sel, t]) => !Array.from(document.querySelectorAll(sel)).some((e) => e.innerText.replace(/\u00a0/g, ' ').includes(t)),
    [selector, text] as const,
    { timeout },
  );
}

/** Runs a palette command by its title (as contributed: "category: title"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape'); // close a hover or a leftover quick input first
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await quickPick(page, title);
}

/**
 * Waits for the QuickPick row whose label is exactly `label` (or, with `partial`, contains it),
 * returns the row's whole text (label, description, detail) and clicks it unless `accept` is false.
 */
export async function quickPick(page: Page, label: string, { partial = false, accept = true } = {}): Promise<string> {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const clean = (s: string) => s.replace(/\u00a0/g, ' ').trim();
  const handle = await page.waitForFunction(
    ([l, p]) => {
      const rows = Array.from(document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row'));
      const label = (e: { innerText: string }) => e.innerText.replace(/\u00a0/g, ' ').split('\n')[0].trim();
      const i = rows.findIndex((e) => (p ? label(e).includes(l) : label(e) === l));
      return i >= 0 ? i + 1 : false; // 1-based: waitForFunction waits for a truthy value
    },
    [label, partial] as const,
    { timeout: 30_000 },
  );
  const row = rows.nth(((await handle.jsonValue()) as number) - 1);
  const shown = clean(await row.innerText());
  if (accept) await row.click();
  return shown;
}

/** Replaces the profile's User/settings.json (code-server watches it and applies the change). */
export function writeUserSettings(profile: Profile, settings: Record<string, unknown>): void {
  writeFileSync(join(profile.user, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** The rows of the open QuickPick as shown (label, then description and detail), top to bottom. */
export async function quickPickRows(page: Page, atLeast = 1): Promise<string[]> {
  const handle = await page.waitForFunction(
    (n) => {
      // a list reuses its row elements: their order on screen is their data-index
      const text = (e: Row, sel: string) => (e.querySelector(sel)?.innerText ?? '').replace(/\u00a0/g, ' ').trim();
      const rows = Array.from(document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row') as ArrayLike<Row>)
        .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
        .map((e) => [text(e, '.label-name'), text(e, '.label-description'), text(e, '.quick-input-list-detail')].filter(Boolean).join(' · '));
      return rows.length >= n ? rows : false;
    },
    atLeast,
    { timeout: 30_000 },
  );
  return (await handle.jsonValue()) as string[];
}

/**
 * Changes the user settings the way a user does, in the settings.json editor (code-server does not
 * notice the file being written behind its back): the whole file replaced, saved, the tab closed.
 */
export async function editUserSettings(page: Page, settings: Record<string, unknown>): Promise<void> {
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  await waitForText(page, '.tabs-container .tab.active', 'settings.json', 30_000);
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+a');
  // one insertion, not keystrokes: the editor would close brackets and quotes as they are typed
  await page.keyboard.insertText(JSON.stringify(settings, null, 2));
  await page.keyboard.press('Control+s');
  await waitForNoText(page, '.tabs-container .tab.active.dirty', 'settings.json', 10_000);
  await runCommand(page, 'View: Close Editor');
}
