/**
 * Hot lines as diagnostics (opt-in, `flamelens.diagnostics`): the active profile's hottest lines by
 * own share, in the user's files, so that they appear wherever an editor lists diagnostics (the
 * Problems panel, the quickfix list, trouble.nvim, Helix's and Zed's pickers). The server publishes
 * them (push) or answers textDocument/diagnostic and workspace/diagnostic (pull); this file only
 * computes them.
 *
 * Only files inside the workspace get diagnostics: a hot line of the standard library is not
 * something to fix in place (the hotspot list names the user's call into it instead).
 */
import { type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver-types';
import { formatPercent, formatValue, percentOf } from '../core/format';
import { displayName, inert } from '../core/present';
import { FunctionPlaces } from '../session/function-places';
import type { ProfileSession } from '../session/profile-session';

export const DIAGNOSTIC_SOURCE = 'flamelens';

/** Diagnostics by document uri; empty when the option or annotations are off, or no profile has data. */
export function hotLineDiagnostics(session: ProfileSession): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  const settings = session.effectiveSettings();
  const opt = settings.diagnostics;
  if (!opt.enabled || !session.enabled()) return out;
  const entry = session.active();
  const view = session.viewOf(entry);
  if (!entry || !view) return out;
  const places = new FunctionPlaces(session, entry, view);
  const texts = new Map<string, string[] | undefined>();
  const seen = new Set<string>();
  let rank = 0;
  for (const row of view.topLines('own').rows) {
    if (rank >= opt.count || view.percent(row.own) < opt.threshold) break;
    const local = places.local(row.file);
    if (!local || !session.inWorkspace(local)) continue;
    const at = places.site(row.file, row.line);
    if (!at || seen.has(`${at.uri}\u0000${at.line}`)) continue;
    seen.add(`${at.uri}\u0000${at.line}`);
    rank++;
    if (!texts.has(at.path)) texts.set(at.path, session.sourceOf(at.path)?.split(/\r\n|\r|\n/));
    const text = texts.get(at.path)?.[at.line] ?? '';
    const fnName = row.funcId >= 0 ? displayName(view.fn(row.funcId).name) : undefined;
    // with percents of the enclosing function, the line is a share of its function (as in its hint)
    const fctx = settings.percentOf === 'function' && row.funcId >= 0 ? view.functionContext(row.funcId) : undefined;
    const whole = fctx ? fctx.scopeTotal : view.denominator;
    const of = inert(fctx ? `of ${fnName}'s ${view.metric.label}` : `of ${view.metric.label} (${view.ctx.scopeLabel})`);
    const own = `${formatPercent(percentOf(row.own, whole))} own`;
    const total = view.lineData === 'full' ? ` · ${formatPercent(percentOf(row.total, whole))} total` : '';
    const diag: Diagnostic = {
      range: {
        start: { line: at.line, character: Math.max(0, text.length - text.trimStart().length) },
        end: { line: at.line, character: text.trimEnd().length },
      },
      severity: opt.severity === 'hint' ? DiagnosticSeverity.Hint : DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      code: 'hot-line',
      message:
        `hot line #${rank}: ${own}${total} ${of}` +
        `${fnName ? ` in ${fnName}` : ''} (${formatValue(row.own, view.metric.unit)} own, ${inert(view.name)})`,
    };
    const list = out.get(at.uri);
    if (list) list.push(diag);
    else out.set(at.uri, [diag]);
  }
  return out;
}
