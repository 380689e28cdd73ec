/**
 * The text of a comparison with a baseline: what hints append, what lenses say, what hovers show.
 * Pure, like present.ts: every profile string goes through `inlineCode` / `inert`.
 */
import { type Change, formatDelta, formatPercentChange, type ProfileDiff, Z_MIN } from './diff';
import { formatValue } from './format';
import { displayName, escapeMarkdown, inert, inlineCode } from './present';

/** A value in the diff's unit: `2.76 s`, or `22.2 %` for shares. */
function value(v: number, d: ProfileDiff): string {
  return d.unit === 'points' ? `${v.toFixed(1)} %` : formatValue(v, d.unit);
}

/** Appended to a hint's label for a flagged change: ` · −2.76 s`. Empty otherwise. */
export function hintDelta(c: Change | undefined, d: ProfileDiff): string {
  return c?.significant ? `${formatDelta(c.delta, d.unit)}` : '';
}

/** One plain-text tooltip line: `vs before.austin (line 16): 2.76 s → 0 s: −2.76 s (−100.0 %), a real change (z = −49.6)`. */
export function deltaTooltip(c: Change, d: ProfileDiff, baseLine?: number, line?: number): string {
  const where = baseLine !== undefined && line !== undefined && baseLine > 0 && baseLine !== line ? ` (line ${baseLine} there)` : '';
  return `vs ${inert(d.baseName)}${where}: ${value(c.base, d)} → ${value(c.current, d)}: ${formatDelta(c.delta, d.unit)} (${formatPercentChange(c.percent)}), ${c.verdict}`;
}

/** Appended to a function's lens title for a flagged change: ` · −2.76 s (−99.8 %) vs before.austin`. */
export function lensDelta(c: Change | undefined, d: ProfileDiff): string {
  if (!c?.significant) return '';
  return ` · ${formatDelta(c.delta, d.unit)} (${formatPercentChange(c.percent)}) vs ${inert(d.baseName)}`;
}

function rule(d: ProfileDiff): string {
  const s = d.settings;
  const floor = d.unit === 'points' ? `${s.minShare} points` : `${s.minShare} % of its total`;
  return `Shown inline when |z| ≥ ${Z_MIN} and the change is at least ${s.minEffect} % of the baseline value and ${floor}.`;
}

function how(d: ProfileDiff): string {
  return d.settings.compare === 'share' ? 'shares of each run’s total' : d.settings.compare === 'perSample' ? 'normalised per sample' : 'as recorded';
}

/** A function as a diff names it: Python's module-qualified name (`inspect.stack`), else its name. */
export function diffFunctionName(name: string, file: string): string {
  const parts = file.split(/[\\/]/);
  const m = /^(.+)\.pyw?$/.exec(parts[parts.length - 1] ?? '');
  // a package's __init__.py is the package: re/__init__.py:compile is re.compile
  const module = m?.[1] === '__init__' ? parts[parts.length - 2] : m?.[1];
  return module && !name.startsWith('<') ? `${inert(module)}.${displayName(name)}` : displayName(name);
}

/** How the runs were compared, in markdown, when the reader must know (totals that differ, normalisation). */
function noteMarkdown(d: ProfileDiff): string | undefined {
  const mode = d.settings.compare;
  if (mode === 'share') return `_Compared as shares of each run's total: differences in points._`;
  if (mode === 'perSample') return `_Normalised per sample: ${inlineCode(d.baseName)}'s values × ${d.perSampleFactor.toFixed(3)}._`;
  if (!d.totalsDiffer) return undefined;
  const t = d.totals;
  const unit = d.current.view.metric.unit;
  return (
    `_The runs differ in total: ${formatValue(t.base, unit)} in ${inlineCode(d.baseName)}, ${formatValue(t.current, unit)} in ${inlineCode(d.currentName)} ` +
    `(${formatPercentChange(t.percent)}). Compared as recorded, which is right when both runs did the same work; ` +
    `otherwise compare per sample (setting \`flamelens.diffCompare\`)._`
  );
}

/**
 * The comparison section of a hover: both columns, the change and the test's verdict, the
 * functions no longer called from here, and how the runs were compared.
 */
export function diffHover(args: {
  diff: ProfileDiff;
  /** What the row is, our words only (not escaped): `total`, `line 18 total`. */
  label: string;
  change: Change | undefined;
  /** Said instead of a row when there is no change to show. */
  missing?: string;
  gone?: readonly { name: string; file: string; change: Change }[];
}): string {
  const d = args.diff;
  const c = args.change;
  const out = [`**Compared with ${inlineCode(d.baseName)}** · ${escapeMarkdown(how(d))}`, ''];
  if (c) {
    out.push(
      `| | ${inlineCode(d.baseName)} | ${inlineCode(d.currentName)} | change |`,
      '| --- | ---: | ---: | ---: |',
      `| ${args.label} | ${value(c.base, d)} | ${value(c.current, d)} | ${c.significant ? '**' : ''}${formatDelta(c.delta, d.unit)} (${formatPercentChange(c.percent)})${c.significant ? '**' : ''} |`,
      '',
      // the verdict and the rule are our words, with numbers: no profile text to escape
      `Verdict: ${c.verdict}. ${rule(d)}`,
    );
  } else if (args.missing) {
    out.push(`_${escapeMarkdown(args.missing)}_`);
  }
  if (args.gone && args.gone.length > 0) {
    out.push('');
    for (const g of args.gone) out.push(`- no longer called: ${inlineCode(diffFunctionName(g.name, g.file))} ${formatDelta(g.change.delta, d.unit)}`);
  }
  const note = noteMarkdown(d);
  if (note) out.push('', note);
  return out.join('\n');
}
