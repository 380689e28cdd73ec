/**
 * textDocument/codeLens: above each function with data, its total and own share and its hottest
 * callers; then one lens per caller that opens its call site.
 */
import type { CodeLens } from 'vscode-languageserver-types';
import { displayName, lensTitle } from '../core/present';
import { Commands } from '../protocol';
import type { AnnotatedDocument } from '../session/annotated-document';
import { lensNote } from './diff-notes';

const MAX_CALLERS = 3;

export function codeLenses(a: AnnotatedDocument): CodeLens[] {
  if (!a.settings.lenses) return [];
  const out: CodeLens[] = [];
  for (const anchor of a.anchors()) {
    const { fn, line } = anchor;
    if (a.percent(fn.total) < a.settings.threshold && !lensNote(a, fn)) continue;
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const callers = a.view.callers(fn.funcId).filter((c) => a.view.isCode(c.funcId)).slice(0, MAX_CALLERS);
    const named = callers.map((c) => ({ ...a.view.fn(c.funcId), value: c.value }));
    const note = anchor.how === 'hottest' ? 'shown at its hottest line' : undefined;
    out.push({
      range,
      command: {
        title: lensTitle(a.view.ctx, fn, named, note) + lensNote(a, fn),
        command: Commands.showCallers,
        arguments: [a.doc.uri, { line, character: 0 }, { pick: true }],
        tooltip:
          anchor.how === 'hottest'
            ? `No definition of ${displayName(fn.name)} was found in this file, so this lens sits on its hottest line.`
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
