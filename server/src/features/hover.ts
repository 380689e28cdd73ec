/**
 * textDocument/hover: on a line with data, its own and total, the calls made from it and the split
 * per thread; on a function's definition line, the function's costs, callers, callees and
 * hottest lines. Markdown, with every profile string escaped by core/present.
 */
import type { Hover, Position } from 'vscode-languageserver-types';
import { moduleCode, moduleRole } from '../core/module-code';
import { type CalleeLine, functionHover, LEGEND, lineHover, type Staleness } from '../core/present';
import type { Callee, LineCost } from '../core/view';
import type { AnnotatedDocument, DocumentAnchor } from '../session/annotated-document';
import { functionHoverNote, lineHoverNote } from './diff-notes';

const MAX_ITEMS = 5;
/** Functions described in one hover (a line where thousands of generated functions run gets a count). */
const MAX_FUNCTIONS = 3;

export function hover(a: AnnotatedDocument, position: Position, stale: Staleness | undefined): Hover | null {
  const parts: string[] = [];
  const line = position.line;
  const recorded = a.recordedLine(line);
  const cost = a.costAt(line);
  const all = a.anchors().filter((x) => x.line === line);
  const here = all.slice(0, MAX_FUNCTIONS);
  const lineFirst = here.every((x) => x.how === 'hottest');
  // A lens put on the hottest line (no definition found) is about that line: show the line first.
  if (cost && lineFirst) parts.push(lineText(a, recorded!, cost, stale), lineHoverNote(a, line));
  for (const anchor of here) parts.push(functionText(a, anchor, stale), functionHoverNote(a, anchor.fn));
  if (all.length > here.length) parts.push(`_and ${all.length - here.length} more functions on this line (workspace symbols and the flame graph list them all)_`);
  if (cost && !lineFirst) parts.push(lineText(a, recorded!, cost, stale), lineHoverNote(a, line));
  // a line whose cost is gone since the baseline has no costs, only its change
  if (!cost && a.diff?.lineChange(line)?.significant) parts.push(lineHoverNote(a, line));
  if (parts.every((p) => p === '')) return null;

  return {
    contents: { kind: 'markdown', value: parts.filter((p) => p !== '').join('\n\n---\n\n') + `\n\n${LEGEND}` },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
  };
}

function named(a: AnnotatedDocument, entries: readonly Callee[]): CalleeLine[] {
  return entries.slice(0, MAX_ITEMS).map((e) => {
    const fn = a.view.fn(e.funcId);
    return { name: fn.name, file: a.fileLabel(fn.file), value: e.value };
  });
}

function lineText(a: AnnotatedDocument, line: number, cost: LineCost, stale?: Staleness): string {
  const callees = a.view.lineCallees(cost.lineIds);
  return lineHover({
    ctx: a.lineContext(cost),
    file: a.displayPath(a.doc.path ?? a.doc.uri),
    line,
    functionName: cost.funcId >= 0 ? a.view.fn(cost.funcId).name : undefined,
    figures: cost,
    callees: named(a, callees),
    threads: a.view.lineThreads(cost.lineIds),
    stale,
    ownOnly: a.costs.lineData === 'own',
    call: cost.own === 0 ? a.mainCallee(callees, cost.total, 0) : undefined,
  });
}

function functionText(a: AnnotatedDocument, anchor: DocumentAnchor, stale?: Staleness): string {
  const { fn } = anchor;
  const callers = a.view
    .callSites(fn.funcId, MAX_ITEMS, (f) => a.view.isCode(f))
    .map((s) => ({ name: a.view.fn(s.funcId).name, file: a.fileLabel(s.file), line: s.line, value: s.value }));
  const hotLines = [...a.lines()]
    .filter((x) => x.cost.funcIds.includes(fn.funcId))
    .sort((x, y) => y.cost.total - x.cost.total)
    .slice(0, MAX_ITEMS)
    .map((x) => ({ line: x.line + 1, own: x.cost.own, total: x.cost.total }));
  const mod = moduleCode(a.view, fn.funcId);
  return functionHover({
    ctx: a.view.ctx,
    name: fn.name,
    what: mod ? `module code${moduleRole(mod) ? ` (${moduleRole(mod)})` : ''}` : undefined,
    file: a.displayPath(a.doc.path ?? a.doc.uri),
    figures: fn,
    callers,
    callees: named(a, a.view.callees(fn.funcId)),
    hotLines,
    note:
      anchor.how !== 'hottest'
        ? undefined
        : mod
          ? 'Module code has no definition line: its lens sits on its hottest line.'
          : 'No definition of this function was found in the file: its lens sits on its hottest line.',
    stale,
    ownOnly: a.costs.lineData === 'own',
  });
}
