/** textDocument/inlayHint: the share of each hot line, at the end of the line. */
import type { InlayHint, Range } from 'vscode-languageserver-types';
import { hintLabel, hintTooltip } from '../core/present';
import type { AnnotatedDocument } from '../session/annotated-document';
import { diffOnlyHints, hintNote, hintTooltipNote } from './diff-notes';

export function inlayHints(a: AnnotatedDocument, range: Range): InlayHint[] {
  const mode = a.costs.lineData === 'own' && a.settings.hints !== 'off' ? 'own' : a.settings.hints;
  if (mode === 'off') return [];
  const out: InlayHint[] = [];
  for (const { line, cost } of a.lines()) {
    const shown = mode === 'own' ? cost.own : cost.total;
    if (shown <= 0 || a.percent(shown) < a.settings.threshold) continue;
    if (line < range.start.line || line > range.end.line) continue;
    // the threshold above compares shares of the scope; the label may be a share of the line's function
    const ctx = a.lineContext(cost);
    const call = mode === 'both' && cost.own === 0 ? a.mainCallee(a.view.lineCallees(cost.lineIds), cost.total, 0) : undefined;
    out.push({
      position: { line, character: a.lineLength(line) },
      label: hintLabel(ctx, cost, mode, call) + hintNote(a, line),
      paddingLeft: true,
      tooltip: hintTooltip(ctx, cost) + hintTooltipNote(a, line),

    });
  }
  out.push(...diffOnlyHints(a, range, new Set(out.map((h) => h.position.line))));
  return out.sort((x, y) => x.position.line - y.position.line);
}
