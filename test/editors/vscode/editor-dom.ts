// Reading the Monaco editor's DOM by line number. The view lines, the margin (line numbers) and
// the overlays (line decorations) are separate layers; a line's elements share their screen top.
// The functions passed to page.evaluate run in the browser, so they only use the few DOM
// members declared here (the project's tsconfig has no DOM library).
import type { Page } from 'playwright-core';

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  top: number;
  bottom: number;
}
interface El {
  innerText: string;
  className: string;
  style: { background: string; borderLeft: string };
  children: ArrayLike<El>;
  appendChild(e: El): void;
  remove(): void;
  getBoundingClientRect(): Rect;
  querySelectorAll(selector: string): ArrayLike<El>;
}
declare const document: {
  querySelectorAll(selector: string): ArrayLike<El>;
  querySelector(selector: string): El | null;
  createElement(tag: string): El;
};
declare function getComputedStyle(e: El): { backgroundColor: string; borderLeftColor: string; borderLeftWidth: string };

/** The screen top of line `n` (1-based) in the visible editor, or null when it is not rendered. */
function lineTop(n: number): number | null {
  const num = Array.from(document.querySelectorAll('.monaco-editor .margin-view-overlays .line-numbers')).find(
    (e) => e.innerText.trim() === String(n),
  );
  return num ? Math.round(num.getBoundingClientRect().top) : null;
}

/** Text shown on line `n`, inlay hints included. */
export async function lineText(page: Page, n: number): Promise<string> {
  return inPage(page, n, (lineTop, n) => {
      const top = lineTop(n);
      if (top === null) return '';
      const line = Array.from(document.querySelectorAll('.monaco-editor .view-lines .view-line')).find(
        (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
      );
      return (line?.innerText ?? '').replace(/\u00a0/g, ' ');
  });
}

/** Waits until line `n` shows `text` (inlay hints included) and returns the line. */
export async function waitForLine(page: Page, n: number, text: string, timeout = 30_000): Promise<string> {
  const probe = (lineTop: (n: number) => number | null, [n, text]: [number, string]) => {
    const top = lineTop(n);
    if (top === null) return false;
    const line = Array.from(document.querySelectorAll('.monaco-editor .view-lines .view-line')).find(
      (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
    );
    const shown = (line?.innerText ?? '').replace(/\u00a0/g, ' ');
    return shown.includes(text) ? shown : false;
  };
  const handle = await page.waitForFunction(source(probe, [n, text]), undefined, { timeout });
  return (await handle.jsonValue()) as string;
}

/** Box of the first non-blank token of line `n` (to hover it). */
export async function lineBox(page: Page, n: number): Promise<Rect | null> {
  return inPage(page, n, (lineTop, n) => {
      const top = lineTop(n);
      if (top === null) return null;
      const line = Array.from(document.querySelectorAll('.monaco-editor .view-lines .view-line')).find(
        (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
      );
      const token = line && Array.from(line.querySelectorAll('span span')).find((s) => s.innerText.trim() !== '');
      if (!token) return null;
      const r = token.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, top: r.top, bottom: r.bottom };
  });
}

/**
 * Waits until the code lens row directly above line `n` contains `text`, and returns that row.
 * (A lens widget can be drawn a moment before its view zone pushes the line down.)
 */
export async function lensAboveLine(page: Page, n: number, text: string, timeout = 30_000): Promise<string> {
  const find = (lineTop: (n: number) => number | null, [n, text]: [number, string]) => {
    const top = lineTop(n);
    if (top === null) return false;
    // The lens sits in a view zone just above its line: the closest one whose bottom is at or above the line's top.
    const lenses = Array.from(document.querySelectorAll('.monaco-editor .codelens-decoration'))
      .map((e) => ({ text: e.innerText.replace(/\u00a0/g, ' '), bottom: e.getBoundingClientRect().bottom }))
      .filter((l) => l.bottom <= top + 2)
      .sort((a, b) => b.bottom - a.bottom);
    return lenses.length > 0 && top - lenses[0].bottom < 40 && lenses[0].text.includes(text) ? lenses[0].text : false;
  };
  const handle = await page.waitForFunction(source(find, [n, text]), undefined, { timeout });
  return (await handle.jsonValue()) as string;
}

/**
 * Which heat colour (1..4, `flamelens.lineHeat1..4`) tints line `n`; 0 when none does. The theme
 * colours are resolved by probing elements styled with their CSS variables, so the answer does
 * not depend on the theme or on Monaco's own overlays (current line, selection highlights).
 */
export async function heatOnLine(page: Page, n: number): Promise<number> {
  return (await page.evaluate(heatSource(n))) as number;
}

/** Waits until line `n` is tinted (`tinted` true) or not tinted by a flamelens heat colour. */
export async function waitForHeat(page: Page, n: number, tinted: boolean, timeout = 30_000): Promise<void> {
  await page.waitForFunction(`${heatSource(n)} ${tinted ? '> 0' : '=== 0'}`, undefined, { timeout });
}

function heatSource(n: number): string {
  return source((lineTop, n) => {
    const top = lineTop(n);
    if (top === null) return 0;
    const host = document.querySelector('.monaco-workbench');
    if (!host) return 0;
    const probes = [1, 2, 3, 4].map((i) => {
      const probe = document.createElement('div');
      probe.style.background = `var(--vscode-flamelens-lineHeat${i})`;
      host.appendChild(probe);
      const colour = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return colour;
    });
    const overlay = Array.from(document.querySelectorAll('.monaco-editor .view-overlays > div')).find(
      (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
    );
    if (!overlay) return 0;
    for (const c of Array.from(overlay.children)) {
      const i = probes.indexOf(getComputedStyle(c).backgroundColor);
      if (i >= 0 && probes[i] !== 'rgba(0, 0, 0, 0)') return i + 1;
    }
    return 0;
  }, n);
}

/**
 * Which change bar (`flamelens.lineRegression` or `flamelens.lineImprovement`, drawn with a
 * baseline) marks line `n`: 'regression', 'improvement', or '' for none. Resolved like heatOnLine.
 */
export async function changeOnLine(page: Page, n: number): Promise<string> {
  return (await page.evaluate(changeSource(n))) as string;
}

/** Waits until line `n` carries the change bar `change` ('' for none). */
export async function waitForChange(page: Page, n: number, change: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(`${changeSource(n)} === ${JSON.stringify(change)}`, undefined, { timeout });
}

function changeSource(n: number): string {
  return source((lineTop, n) => {
    const top = lineTop(n);
    const host = document.querySelector('.monaco-workbench');
    if (top === null || !host) return '';
    const kinds = ['regression', 'improvement'];
    const probes = kinds.map((k) => {
      const probe = document.createElement('div');
      probe.style.borderLeft = `4px solid var(--vscode-flamelens-line${k[0].toUpperCase()}${k.slice(1)})`;
      host.appendChild(probe);
      const colour = getComputedStyle(probe).borderLeftColor;
      probe.remove();
      return colour;
    });
    const overlay = Array.from(document.querySelectorAll('.monaco-editor .view-overlays > div')).find(
      (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
    );
    if (!overlay) return '';
    for (const c of Array.from(overlay.children)) {
      const style = getComputedStyle(c);
      if (style.borderLeftWidth === '0px') continue;
      const i = probes.indexOf(style.borderLeftColor);
      if (i >= 0) return kinds[i];
    }
    return '';
  }, n);
}

/**
 * Runs `fn(lineTop, arg)` in the page. Sent as source text so that both functions travel
 * together (the page is opened with bypassCSP, so the workbench's CSP does not get in the way).
 */
async function inPage<A, R>(page: Page, arg: A, fn: (top: typeof lineTop, arg: A) => R): Promise<R> {
  return (await page.evaluate(source(fn, arg))) as R;
}

function source<A, R>(fn: (top: typeof lineTop, arg: A) => R, arg: A): string {
  return `(${fn.toString()})(${lineTop.toString()}, ${JSON.stringify(arg)})`;
}

/**
 * Clicks the code lens link above line `n` whose text contains `text` (a lens row holds several
 * links separated by `|`). Waits for the link: lenses are drawn again after each refresh.
 */
export async function clickLens(page: Page, n: number, text: string, timeout = 30_000): Promise<string> {
  const find = (lineTop: (n: number) => number | null, [n, text]: [number, string]) => {
    const top = lineTop(n);
    if (top === null) return false;
    const links = Array.from(document.querySelectorAll('.monaco-editor .codelens-decoration a'))
      .map((e) => ({ text: e.innerText.replace(/\u00a0/g, ' '), r: e.getBoundingClientRect() }))
      .filter((l) => l.r.bottom <= top + 2 && top - l.r.bottom < 40 && l.text.includes(text))
      .sort((a, b) => b.r.bottom - a.r.bottom);
    if (links.length === 0) return false;
    const r = links[0].r;
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, text: links[0].text };
  };
  const handle = await page.waitForFunction(source(find, [n, text]), undefined, { timeout });
  const box = (await handle.jsonValue()) as { x: number; y: number; text: string };
  await page.mouse.click(box.x, box.y);
  return box.text;
}

/** The editor tabs: label and whether the tab is a preview (VS Code shows its label in italics). */
export async function editorTabs(page: Page): Promise<{ label: string; preview: boolean; active: boolean }[]> {
  return inPage(page, 0, () =>
    Array.from(document.querySelectorAll('.tabs-container .tab')).map((t) => ({
      label: t.innerText.replace(/\u00a0/g, ' ').split('\n')[0].trim(),
      preview: Array.from(t.querySelectorAll('.monaco-icon-label')).some((l) => /\bitalic\b/.test(l.className)),
      active: /\bactive\b/.test(t.className),
    })),
  );
}
