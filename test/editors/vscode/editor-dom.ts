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
  children: ArrayLike<El>;
  getBoundingClientRect(): Rect;
  querySelectorAll(selector: string): ArrayLike<El>;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<El> };
declare function getComputedStyle(e: El): { backgroundColor: string };

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

/** Text of the code lens row directly above line `n` ('' when there is none). */
export async function lensAboveLine(page: Page, n: number): Promise<string> {
  return inPage(page, n, (lineTop, n) => {
      const top = lineTop(n);
      if (top === null) return '';
      // The lens sits in a view zone just above its line: the closest one whose bottom is at or above the line's top.
      const lenses = Array.from(document.querySelectorAll('.monaco-editor .codelens-decoration'))
        .map((e) => ({ text: e.innerText.replace(/\u00a0/g, ' '), bottom: e.getBoundingClientRect().bottom }))
        .filter((l) => l.bottom <= top + 2)
        .sort((a, b) => b.bottom - a.bottom);
      return lenses.length > 0 && top - lenses[0].bottom < 40 ? lenses[0].text : '';
  });
}

/** Background colour of the whole-line decorations on line `n` ('' when it has none). */
export async function heatOnLine(page: Page, n: number): Promise<string> {
  return inPage(page, n, (lineTop, n) => {
      const top = lineTop(n);
      if (top === null) return '';
      const overlay = Array.from(document.querySelectorAll('.monaco-editor .view-overlays > div')).find(
        (e) => Math.abs(Math.round(e.getBoundingClientRect().top) - top) <= 1,
      );
      if (!overlay) return '';
      // Monaco's own overlays (current line, selection) carry these classes; decorations get generated ones.
      const own = /current-line|selected-text|cslr|cigr|cigra|core-guide/;
      const colours = Array.from(overlay.children)
        .filter((c) => !own.test(c.className))
        .map((c) => getComputedStyle(c).backgroundColor)
        .filter((c) => c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent');
      return colours.join(' ');
  });
}

/**
 * Runs `fn(lineTop, arg)` in the page. Sent as source text (evaluated by the debugger protocol,
 * not by the page), so that both functions travel and the workbench's CSP does not apply.
 */
async function inPage<A, R>(page: Page, arg: A, fn: (top: typeof lineTop, arg: A) => R): Promise<R> {
  return (await page.evaluate(`(${fn.toString()})(${lineTop.toString()}, ${JSON.stringify(arg)})`)) as R;
}
