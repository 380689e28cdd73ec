/**
 * What the comparison with a baseline adds to each feature: a change appended to hints and lenses
 * (flagged changes only), a section in hovers, a `change` on line heat. Every function returns
 * nothing when no baseline is set, so the features' output is then exactly what it was.
 */
import type { InlayHint, Range } from 'vscode-languageserver-types';
import { deltaTooltip, diffHover, hintDelta, lensDelta } from '../core/diff-present';
import type { FunctionCost } from '../core/view';
import type { LineHeat } from '../protocol';
import type { AnnotatedDocument } from '../session/annotated-document';

/** ` · −2.76 s` for a line with a flagged change, else ''. */
export function hintNote(a: AnnotatedDocument, line: number): string {
  const d = a.diff;
  const c = d?.lineChange(line);
  return d && c?.significant ? ` · ${hintDelta(c, d.diff)}` : '';
}

/** The tooltip line about the change of a line, when it has one flagged. */
export function hintTooltipNote(a: AnnotatedDocument, line: number): string {
  const d = a.diff;
  const c = d?.lineChange(line);
  return d && c?.significant ? `\n${deltaTooltip(c, d.diff, c.baseLine, c.line)}` : '';
}

/**
 * Hints for lines whose change is flagged but that have no hint of their own (no samples now: the
 * cost is gone), showing the change alone.
 */
export function diffOnlyHints(a: AnnotatedDocument, range: Range, taken: ReadonlySet<number>): InlayHint[] {
  const d = a.diff;
  if (!d) return [];
  const out: InlayHint[] = [];
  for (const { line, change } of d.flagged()) {
    if (taken.has(line) || line < range.start.line || line > range.end.line) continue;
    out.push({
      position: { line, character: a.lineLength(line) },
      label: hintDelta(change, d.diff),
      paddingLeft: true,
      tooltip: deltaTooltip(change, d.diff, change.baseLine, change.line),
    });
  }
  return out;
}

/** ` · −2.76 s (−99.8 %) vs before.austin` for a function with a flagged change, else ''. */
export function lensNote(a: AnnotatedDocument, fn: FunctionCost): string {
  const d = a.diff;
  return d ? lensDelta(d.functionChange(fn.funcId), d.diff) : '';
}

/** The comparison section of a line's hover ('' without a baseline). */
export function lineHoverNote(a: AnnotatedDocument, line: number): string {
  const d = a.diff;
  if (!d) return '';
  const c = d.lineChange(line);
  const now = (a.recordedLine(line) ?? line + 1).toString();
  const label = !c ? '' : c.baseLine === 0 ? `line ${now} (new)` : c.baseLine !== c.line ? `line ${c.baseLine} there, ${now} here` : `line ${now}`;
  return diffHover({
    diff: d.diff,
    label: `${label} total`,
    change: c,
    missing: `This line is not compared with ${d.baseName}: where it was in that run cannot be told without guessing (its function's lines moved). See the function's hover.`,
  });
}

/** The comparison section of a function's hover ('' without a baseline). */
export function functionHoverNote(a: AnnotatedDocument, fn: FunctionCost): string {
  const d = a.diff;
  if (!d) return '';
  return diffHover({
    diff: d.diff,
    label: 'total',
    change: d.functionChange(fn.funcId),
    missing: `No data for this function in ${d.baseName}.`,
    gone: d.goneCallees(fn.funcId),
  });
}

/** Line heat with the flagged changes marked, plus entries for lines whose cost is gone. */
export function heatChanges(a: AnnotatedDocument, lines: LineHeat[]): LineHeat[] {
  const d = a.diff;
  if (!d) return lines;
  const byLine = new Map(lines.map((l) => [l.line, l]));
  for (const { line, change } of d.flagged()) {
    const kind = change.delta > 0 ? 'regression' : 'improvement';
    const hit = byLine.get(line);
    if (hit) hit.change = kind;
    // a line whose cost is gone since the baseline: no tint of its own, only the change
    else byLine.set(line, { line, heat: 0, level: 0, percent: 0, change: kind });
  }
  return [...byLine.values()].sort((x, y) => x.line - y.line);
}
