/** `flamelens/lineHeat`: per open document, how hot each line is, for clients that tint lines. */
import { HEAT_LEVELS, type LineHeat, type LineHeatParams } from '../protocol';
import type { AnnotatedDocument } from '../session/annotated-document';
import type { OpenDocument } from '../workspace/documents';
import { heatChanges } from './diff-notes';

/** Shares of the scope's total where levels 2, 3 and 4 begin: one scale for every file of a profile. */
const LEVELS = [2, 5, 15];

export function heatLevel(percent: number): number {
  let level = 1;
  for (const t of LEVELS) if (percent >= t) level++;
  return Math.min(level, HEAT_LEVELS);
}

/**
 * Lines at or above the threshold, in current coordinates; no lines when annotations are off.
 * `outside(funcId)` says whether a function's code lies outside the workspace: time a line spends
 * there (a call into `inspect.stack`) is the line's own work as far as the user can act on it.
 */
export function lineHeat(doc: OpenDocument, a: AnnotatedDocument | undefined, outside: (funcId: number) => boolean = () => false): LineHeatParams {
  const lines: LineHeat[] = [];
  if (a) {
    const byTotal = a.settings.heat === 'total' || a.costs.lineData === 'own';
    for (const { line, cost } of a.lines()) {
      let value = byTotal ? cost.total : cost.own;
      if (!byTotal) {
        for (const c of a.view.lineCallees(cost.lineIds)) if (outside(c.funcId)) value += c.value;
        value = Math.min(value, cost.total);
      }
      const percent = a.percent(value);
      if (value <= 0 || percent < a.settings.threshold) continue;
      const level = heatLevel(percent);
      lines.push({ line, heat: level / HEAT_LEVELS, level, percent: Math.round(percent * 100) / 100 });
    }
    lines.sort((x, y) => x.line - y.line);
    return { uri: doc.uri, version: doc.text.version, profile: a.entry.path, lines: heatChanges(a, lines) };
  }
  return { uri: doc.uri, version: doc.text.version, lines };
}
