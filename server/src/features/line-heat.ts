/** `flamelens/lineHeat`: per open document, how hot each line is, for clients that tint lines. */
import type { LineHeat, LineHeatParams } from '../protocol';
import type { AnnotatedDocument } from '../session/annotated-document';
import type { OpenDocument } from '../workspace/documents';
import { heatChanges } from './diff-notes';

/** Lines at or above the threshold, in current coordinates; no lines when annotations are off. */
export function lineHeat(doc: OpenDocument, a: AnnotatedDocument | undefined): LineHeatParams {
  const lines: LineHeat[] = [];
  if (a) {
    // Relative to the hottest line of this document: against the scope's hottest line (an entry
    // point near 100 %) every real hot spot would get the same faint tint.
    let max = 0;
    for (const c of a.costs.lines.values()) if (c.total > max) max = c.total;
    for (const { line, cost } of a.lines()) {
      const percent = a.percent(cost.total);
      if (cost.total <= 0 || percent < a.settings.threshold) continue;
      lines.push({ line, heat: max > 0 ? Math.min(1, cost.total / max) : 0, percent: Math.round(percent * 100) / 100 });
    }
    lines.sort((x, y) => x.line - y.line);
    return { uri: doc.uri, version: doc.text.version, lines: heatChanges(a, lines) };
  }
  return { uri: doc.uri, version: doc.text.version, lines };
}
