/**
 * textDocument/codeLens: above each function with data, its total and own share and its hottest
 * callers; then one lens per caller that opens its call site.
 */
import type { CodeLens } from 'vscode-languageserver-types';
import { moduleCode, moduleLabel, onlyImports } from '../core/module-code';
import { displayName, lensTitle } from '../core/present';
import { Commands } from '../protocol';
import type { AnnotatedDocument } from '../session/annotated-document';
import { lensNote } from './diff-notes';

const MAX_CALLERS = 3;
/**
 * Lenses for the hottest functions of a document only, and a few per line: a generated file with
 * a hundred thousand functions must not get a hundred thousand lenses (the rest stay in hovers,
 * workspace symbols and the flame graph).
 */
export const MAX_LENS_FUNCTIONS = 300;
const MAX_PER_LINE = 2;

export function codeLenses(a: AnnotatedDocument): CodeLens[] {
  if (!a.settings.lenses) return [];
  const out: CodeLens[] = [];
  const perLine = new Map<number, number>();
  let functions = 0;
  // anchors come hottest function first
  for (const anchor of a.anchors()) {
    const { fn, line } = anchor;
    if (a.percent(fn.total) < a.settings.threshold && !lensNote(a, fn)) continue;
    // A module's cost that is only its imports is not worth the first lens of the file (its import
    // lines carry their hints); module code doing real work says what it is, not who imported it.
    const mod = moduleCode(a.view, fn.funcId);
    if (mod && onlyImports(mod)) continue;
    if (functions >= MAX_LENS_FUNCTIONS) break;
    const onLine = perLine.get(line) ?? 0;
    if (onLine >= MAX_PER_LINE) continue;
    perLine.set(line, onLine + 1);
    functions++;


    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const callers = mod ? [] : a.view.callers(fn.funcId, MAX_CALLERS, (f) => a.view.isCode(f));
    const named = callers.map((c) => ({ ...a.view.fn(c.funcId), value: c.value }));
    const note = anchor.how === 'hottest' ? 'shown at its hottest line' : undefined;
    const mainCallee = a.mainCallee(
      a.view.callees(fn.funcId).filter((c) => c.funcId !== fn.funcId),
      fn.total,
      50,
    );
    out.push({
      range,
      command: {
        title: lensTitle(a.view.ctx, fn, named, note, { what: mod && moduleLabel(mod), mainCallee }) + lensNote(a, fn),

        command: Commands.showCallers,
        arguments: [a.doc.uri, { line, character: 0 }, { pick: true }],
        tooltip:
          anchor.how === 'hottest'
            ? mod
              ? 'Module code has no definition line, so this lens sits on its hottest line.'
              : `No definition of ${displayName(fn.name)} was found in this file, so this lens sits on its hottest line.`
            : `${displayName(fn.name)}: ${a.view.ctx.metricLabel}, ${a.view.ctx.scopeLabel}`,
      },
    });
    for (const c of callers) {
      const to = c.site && c.site.line > 0 ? a.locate(c.site.file, c.site.line) : undefined;
      if (!to) continue;
      const name = displayName(a.view.fn(c.funcId).name);
      out.push({
        range,
        command: {
          title: `→ ${name}`,
          command: Commands.openCallSite,
          arguments: [to.uri, to.line],
          tooltip: `Open the call from ${name} (line ${c.site!.line})`,
        },
      });
    }
  }
  return out;
}
