/** textDocument/inlayHint: the share of each hot line, at the end of the line. */
import type { InlayHint, Range } from 'vscode-languageserver-types';
import { hintLabel, hintTooltip } from '../core/present';
import { type AnnotatedDocument, lineLength, percentOf } from './annotated';

export function inlayHints(a: AnnotatedDocument, range: Range): InlayHint[] {
  const mode = a.costs.lineData === 'own' && a.settings.hints !== 'off' ? 'own' : a.settings.hints;
  if (mode === 'off') return [];
  const out: { line: number; hint: InlayHint }[] = [];
  for (const [baseLine, cost] of a.costs.lines) {
    const shown = mode === 'own' ? cost.own : cost.total;
    if (shown <= 0 || percentOf(a, shown) < a.settings.threshold) continue;
    const line = a.doc.tracker.toCurrent(baseLine - 1);
    if (line === undefined || line < range.start.line || line > range.end.line) continue;
    out.push({
      line,
      hint: {
        position: { line, character: lineLength(a.doc, line) },
        label: hintLabel(a.view.ctx, cost, mode),
        paddingLeft: true,
        tooltip: hintTooltip(a.view.ctx, cost),
      },
    });
  }
  return out.sort((x, y) => x.line - y.line).map((x) => x.hint);
}
