/**
 * textDocument/hover: on a line with data, its own and total, the calls made from it and the split
 * per thread; on a function's definition line, the function's costs, callers, callees and
 * hottest lines. Markdown, with every profile string escaped by core/present.
 */
import type { Hover, Position } from 'vscode-languageserver-types';
import { type CalleeLine, functionHover, lineHover, type Staleness } from '../core/present';
import { type AnnotatedDocument, anchors, type Anchor } from './annotated';

const MAX_ITEMS = 5;

export function hover(a: AnnotatedDocument, position: Position, stale: Staleness | undefined): Hover | null {
  const parts: string[] = [];
  const line = position.line;
  const base = a.doc.tracker.toBase(line);
  const cost = base !== undefined ? a.costs.lines.get(base + 1) : undefined;
  const here = anchors(a).filter((x) => x.line === line);
  // A lens put on the hottest line (no definition found) is about that line: show the line first.
  if (cost && here.every((x) => x.how === 'hottest')) parts.push(lineText(a, base! + 1, cost.lineIds, cost, stale));
  for (const anchor of here) parts.push(functionText(a, anchor, stale));
  if (cost && here.length > 0 && !here.every((x) => x.how === 'hottest')) parts.push(lineText(a, base! + 1, cost.lineIds, cost, stale));
  if (parts.length === 0) return null;
  return {
    contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
  };
}

function calleesOf(a: AnnotatedDocument, entries: { funcId: number; value: number }[]): CalleeLine[] {
  // the same callee reached through several line ids of one file: add up (each is once per sample)
  const byFunc = new Map<number, number>();
  for (const e of entries) if (e.value > 0) byFunc.set(e.funcId, (byFunc.get(e.funcId) ?? 0) + e.value);
  return [...byFunc]
    .sort((x, y) => y[1] - x[1])
    .slice(0, MAX_ITEMS)
    .map(([f, value]) => ({ ...a.view.functionAt(f), value }));
}

function lineText(a: AnnotatedDocument, line: number, lineIds: number[], cost: { own: number; total: number; funcId: number }, stale?: Staleness): string {
  const entries = lineIds.flatMap((id) => a.view.agg.lineCallees(id));
  return lineHover({
    ctx: a.view.ctx,
    file: a.doc.path ?? a.doc.uri,
    line,
    functionName: cost.funcId >= 0 ? a.view.functionAt(cost.funcId).name : undefined,
    figures: cost,
    callees: calleesOf(a, entries),
    threads: a.view.lineThreads(lineIds),
    stale,
    ownOnly: a.costs.lineData === 'own',
  });
}

function functionText(a: AnnotatedDocument, anchor: Anchor, stale?: Staleness): string {
  const { fn } = anchor;
  const p = a.view.profile;
  const callers = a.view
    .callSites(fn.funcId)
    .slice(0, MAX_ITEMS)
    .map((s) => {
      const key = p.lineKey(s.lineId);
      return { ...a.view.functionAt(s.funcId), file: key.file, line: key.line, value: s.value };
    });
  const hotLines = [...a.costs.lines]
    .filter(([, c]) => c.funcIds.includes(fn.funcId))
    .sort((x, y) => y[1].total - x[1].total)
    .slice(0, MAX_ITEMS)
    .flatMap(([n, c]) => {
      const cur = a.doc.tracker.toCurrent(n - 1);
      return cur === undefined ? [] : [{ line: cur + 1, own: c.own, total: c.total }];
    });
  return functionHover({
    ctx: a.view.ctx,
    name: fn.name,
    file: a.doc.path ?? a.doc.uri,
    figures: fn,
    callers,
    callees: calleesOf(a, a.view.agg.callees(fn.funcId)),
    hotLines,
    note: anchor.how === 'hottest' ? 'No definition of this function was found in the file: its lens sits on its hottest line.' : undefined,
    stale,
    ownOnly: a.costs.lineData === 'own',
  });
}
