/**
 * The text users read: inlay hint labels and tooltips, code lens titles and hover markdown.
 * Pure: numbers in, strings out. Every string that comes from a profile (function names, paths,
 * thread labels) goes through `inlineCode` or `escapeMarkdown`, so that `<listcomp>`, `*args`,
 * backticks or underscores render as the literal text.
 */
import { formatPercent, formatValue } from './format';

/** Backslash-escapes CommonMark punctuation and flattens control characters (Austin can record newlines in names). */
export function escapeMarkdown(s: string): string {
  return flatten(s).replace(/[\\`*_{}[\]()#+\-.!|<>~&"']/g, '\\$&');
}

/** A code span that shows `s` literally whatever backticks it holds. */
export function inlineCode(s: string): string {
  const text = flatten(s);
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function flatten(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** A qualified name without its `.<locals>` segments: `_make_iterencode.<locals>._iterencode_dict` -> `_make_iterencode._iterencode_dict`. */
export function displayName(name: string): string {
  return flatten(name).replace(/\.<locals>(?=\.)/g, '');
}

/** The last segment of a path (either separator). */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

export interface Figures {
  readonly own: number;
  readonly total: number;
}

/** What every tooltip and hover says about the numbers' context. */
export interface CostContext {
  readonly metricLabel: string;
  readonly unit: string;
  /** The metric summed over the scope: the denominator of every percent. */
  readonly scopeTotal: number;
  readonly scopeLabel: string;
  /** The profile's file name. */
  readonly profileName: string;
}

const pct = (ctx: CostContext, v: number) => (ctx.scopeTotal === 0 ? 0 : (v / ctx.scopeTotal) * 100);
const share = (part: number, whole: number) => (whole === 0 ? 0 : (part / whole) * 100);

/** `4.9%`, `own 0.3%` or `4.9% · own 0.3%`. */
export function hintLabel(ctx: CostContext, f: Figures, mode: 'total' | 'own' | 'both'): string {
  const total = formatPercent(pct(ctx, f.total));
  const own = formatPercent(pct(ctx, f.own));
  if (mode === 'total') return total;
  if (mode === 'own') return `own ${own}`;
  return `${total} · own ${own}`;
}

/** Plain text (clients differ in markdown support for hint tooltips). */
export function hintTooltip(ctx: CostContext, f: Figures): string {
  return [
    `total ${formatPercent(pct(ctx, f.total))} (${formatValue(f.total, ctx.unit)}) · own ${formatPercent(pct(ctx, f.own))} (${formatValue(f.own, ctx.unit)})`,
    `${ctx.metricLabel}, ${ctx.scopeLabel}: ${formatValue(ctx.scopeTotal, ctx.unit)} in all · ${flatten(ctx.profileName)}`,
  ].join('\n');
}

export interface CallerShare {
  readonly name: string;
  /** The caller's part of this function's total. */
  readonly value: number;
}

/** `12.5% total · 0.4% own · callers: test_log 60%, render 30%` (shares of this function's total). */
export function lensTitle(ctx: CostContext, f: Figures, callers: readonly CallerShare[], note?: string): string {
  let s = `${formatPercent(pct(ctx, f.total))} total · ${formatPercent(pct(ctx, f.own))} own`;
  if (callers.length > 0) {
    s += ' · callers: ' + callers.map((c) => `${displayName(c.name)} ${Math.round(share(c.value, f.total))}%`).join(', ');
  }
  if (note) s += ` · ${note}`;
  return s;
}

export interface CalleeLine {
  readonly name: string;
  readonly file: string;
  readonly value: number;
}

export interface CallerLine extends CalleeLine {
  /** 1-based call-site line. */
  readonly line: number;
}

export interface ThreadLine extends Figures {
  readonly label: string;
}

export interface Staleness {
  readonly sourceMtime: number;
  readonly profileMtime: number;
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/** Said instead of a line total for formats that record none (.cpuprofile positionTicks). */
export const NO_LINE_TOTALS = 'This format records no per-line totals: only the samples taken at this line.';

function header(ctx: CostContext, f: Figures, ownOnly = false): string[] {
  const own = `**${formatPercent(pct(ctx, f.own))}** own (${formatValue(f.own, ctx.unit)})`;
  return [
    ownOnly ? own : `**${formatPercent(pct(ctx, f.total))}** total (${formatValue(f.total, ctx.unit)}) · ${own}`,
    '',
    `${escapeMarkdown(ctx.metricLabel)} · ${escapeMarkdown(ctx.scopeLabel)} · ${formatValue(ctx.scopeTotal, ctx.unit)} in all · ${inlineCode(ctx.profileName)}`,
  ];
}

function staleNote(stale: Staleness | undefined): string[] {
  if (!stale) return [];
  return ['', `_Possibly stale: the source was modified on ${when(stale.sourceMtime)}, after the profile was written (${when(stale.profileMtime)})._`];
}

function calleeList(title: string, items: readonly CalleeLine[], ctx: CostContext, whole: number, of: string): string[] {
  if (items.length === 0) return [];
  return [
    '',
    `**${title}**`,
    '',
    ...items.map(
      (c) => `- ${formatPercent(pct(ctx, c.value))} ${inlineCode(displayName(c.name))} in ${inlineCode(baseName(c.file) || '?')} (${Math.round(share(c.value, whole))}% of ${of})`,
    ),
  ];
}

/** Hover for a line with data: own and total, callees from the line, split per thread. */
export function lineHover(args: {
  ctx: CostContext;
  file: string;
  line: number;
  functionName?: string;
  figures: Figures;
  callees: readonly CalleeLine[];
  threads: readonly ThreadLine[];
  stale?: Staleness;
  /** The format has no line totals: show own values only, and say so. */
  ownOnly?: boolean;
}): string {
  const { ctx, figures } = args;
  const where = `${inlineCode(baseName(args.file))} line ${args.line}` + (args.functionName ? ` in ${inlineCode(displayName(args.functionName))}` : '');
  const out = [`**flamelens** · ${where}`, '', ...header(ctx, figures, args.ownOnly)];
  if (args.ownOnly) {
    out.push('', `_${NO_LINE_TOTALS}_`, ...staleNote(args.stale));
    return out.join('\n');
  }
  out.push(...calleeList('Calls from this line', args.callees, ctx, figures.total, 'this line'));
  if (args.threads.length > 1) {
    out.push('', '**Per thread**', '');
    for (const t of args.threads) {
      out.push(`- ${inlineCode(t.label)}: ${formatPercent(pct(ctx, t.total))} total · ${formatPercent(pct(ctx, t.own))} own`);
    }
  }
  out.push(...staleNote(args.stale));
  return out.join('\n');
}

/** Hover for a function's definition line: own and total, callers, callees, hottest lines. */
export function functionHover(args: {
  ctx: CostContext;
  name: string;
  file: string;
  figures: Figures;
  callers: readonly CallerLine[];
  callees: readonly CalleeLine[];
  hotLines: readonly (Figures & { line: number })[];
  note?: string;
  stale?: Staleness;
  /** Hottest lines carry own values only (the format has no line totals). */
  ownOnly?: boolean;
}): string {
  const { ctx, figures } = args;
  const out = [`**flamelens** · function ${inlineCode(displayName(args.name))} in ${inlineCode(baseName(args.file))}`, '', ...header(ctx, figures)];
  if (args.note) out.push('', `_${escapeMarkdown(args.note)}_`);
  if (args.callers.length > 0) {
    out.push('', '**Callers**', '');
    for (const c of args.callers) {
      out.push(
        `- ${Math.round(share(c.value, figures.total))}% from ${inlineCode(displayName(c.name))} at ${inlineCode(`${baseName(c.file) || '?'}:${c.line}`)} (${formatPercent(pct(ctx, c.value))} of all)`,
      );
    }
  }
  out.push(...calleeList('Callees', args.callees, ctx, figures.total, 'this function'));
  if (args.hotLines.length > 0) {
    out.push('', '**Hottest lines**', '');
    for (const l of args.hotLines) {
      out.push(
        args.ownOnly
          ? `- line ${l.line}: ${formatPercent(pct(ctx, l.own))} own`
          : `- line ${l.line}: ${formatPercent(pct(ctx, l.total))} total · ${formatPercent(pct(ctx, l.own))} own`,
      );
    }
  }
  out.push(...staleNote(args.stale));
  return out.join('\n');
}
