/**
 * The text users read: inlay hint labels and tooltips, code lens titles and hover markdown.
 * Pure: numbers in, strings out. Every string that comes from a profile (function names, paths,
 * thread labels) goes through `inlineCode` or `escapeMarkdown`, so that `<listcomp>`, `*args`,
 * backticks or underscores render as the literal text.
 */
import { formatPercent, formatValue, percentOf } from './format';

/** Backslash-escapes CommonMark punctuation; control and bidi characters become visible escapes (see `inert`). */
export function escapeMarkdown(s: string): string {
  return inert(s).replace(/[\\`*_{}[\]()#+\-.!|<>~&"']/g, '\\$&');
}

/** A code span that shows `s` literally whatever backticks it holds. */
export function inlineCode(s: string): string {
  const text = inert(s);
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

// C0 and C1 controls, DEL, line and paragraph separators, bidi overrides and isolates, zero-width characters
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Text from a profile made inert for any display (a terminal, a hover, a lens, a status bar):
 * control characters, line separators and bidi overrides become visible escapes (`\x1b`,
 * `\u202e`), so a name can neither drive a terminal, break a line nor reorder what is read.
 */
export function inert(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}


/** A qualified name without its `.<locals>` segments: `_make_iterencode.<locals>._iterencode_dict` -> `_make_iterencode._iterencode_dict`. */
export function displayName(name: string): string {
  return inert(name).replace(/\.<locals>(?=\.)/g, '');
}

/**
 * The Python module a recorded file stands for, as short as users say it: the file name without
 * `.py` (`inspect`), the package for an `__init__.py` (`json`), the name of a frozen module
 * (`<frozen runpy>` -> `runpy`); undefined for files of other languages.
 */
export function moduleName(file: string): string | undefined {
  const frozen = /^<frozen ([^>]+)>$/.exec(file.trim());
  if (frozen) return inert(frozen[1]);
  const m = /(?:^|[\\/])([^\\/]+)[\\/]([^\\/]+)\.pyw?$/i.exec(file) ?? /^()([^\\/]+)\.pyw?$/i.exec(file);
  if (!m) return undefined;
  return inert(m[2] === '__init__' && m[1] ? m[1] : m[2]);
}

/** A function as named across files: `inspect.stack`, `inventory.Inventory.ship`; the display name alone outside Python. */
export function qualifiedName(name: string, file: string): string {
  const mod = moduleName(file);
  const n = displayName(name);
  return mod ? `${mod}.${n}` : n;
}

/** A function named from inside a file: its display name there, qualified when it lives in another file. */
export function nameFrom(name: string, file: string, here: string | undefined): string {
  return here !== undefined && file === here ? displayName(name) : qualifiedName(name, file);
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

const pct = (ctx: CostContext, v: number) => percentOf(v, ctx.scopeTotal);
const share = (part: number, whole: number) => percentOf(part, whole);

/**
 * Names for a list of functions, qualified where two different functions would read the same
 * (`render (console.py)` and `render (segment.py)`), by file name, else by the whole file label.
 */
export function distinctNames(items: readonly { readonly name: string; readonly file: string }[]): string[] {
  const short = items.map((i) => displayName(i.name));
  return items.map((it, i) => {
    const clash = items.some((o, j) => j !== i && short[j] === short[i] && (o.file !== it.file || o.name !== it.name));
    if (!clash) return short[i];
    const base = baseName(it.file);
    const sameBase = items.some((o, j) => j !== i && short[j] === short[i] && o.file !== it.file && baseName(o.file) === base);
    return `${short[i]} (${inert(sameBase ? it.file : base) || '?'})`;
  });
}

/** Entries worth listing as a share of `whole`: those that round to at least 0.1 %. */
export function listed<T extends { readonly value: number }>(items: readonly T[], whole: number): T[] {
  return items.filter((i) => share(i.value, whole) >= 0.05);
}

/** Where a line with no own time spends its total: its hottest callee and that callee's share of the line. */
export interface LineCall {
  readonly name: string;
  /** Percent of the line's total. */
  readonly share: number;
}

/** `in inspect.stack`, or `60% in best_discount` when the callee takes less than all of it. */
function callText(call: LineCall): string {
  return call.share >= 99.5 ? `in ${inert(call.name)}` : `${Math.round(call.share)}% in ${inert(call.name)}`;
}

/**
 * `4.9%`, `own 0.3%` or `4.9% · own 0.3%`; a line with no own time says what it calls instead:
 * `20.8% · in inspect.stack`.
 */
export function hintLabel(ctx: CostContext, f: Figures, mode: 'total' | 'own' | 'both', call?: LineCall): string {
  const total = formatPercent(pct(ctx, f.total));
  const own = formatPercent(pct(ctx, f.own));
  if (mode === 'total') return total;
  if (mode === 'own') return `own ${own}`;
  if (f.own === 0 && call) return `${total} · ${callText(call)}`;
  // a leaf line: its total is all its own, and saying the number twice reads as two numbers
  if (own === total) return `${total} · all own`;
  return `${total} · own ${own}`;
}

/** Plain text (clients differ in markdown support for hint tooltips). */
export function hintTooltip(ctx: CostContext, f: Figures): string {
  return [
    `total ${formatPercent(pct(ctx, f.total))} (${formatValue(f.total, ctx.unit)}) · own ${formatPercent(pct(ctx, f.own))} (${formatValue(f.own, ctx.unit)})`,
    `${ctx.metricLabel}, ${ctx.scopeLabel}: ${formatValue(ctx.scopeTotal, ctx.unit)} in all · ${inert(ctx.profileName)}`,
  ].join('\n');
}

export interface CallerShare {
  readonly name: string;
  readonly file: string;
  /** The caller's part of this function's total. */
  readonly value: number;
}

/** `2.2% total · 0.0% own`. */
export function costSummary(ctx: CostContext, f: Figures): string {
  return `${formatPercent(pct(ctx, f.total))} total · ${formatPercent(pct(ctx, f.own))} own`;
}

/**
 * `12.5% total · 0.4% own · 81% in inspect.stack · callers: test_log 60%, render 30%` (shares of
 * this function's total, rounded); `what` leads when the function is something else
 * (`<module> (import time)`), `mainCallee` names where most of its time goes.
 */
export function lensTitle(
  ctx: CostContext,
  f: Figures,
  callers: readonly CallerShare[],
  note?: string,
  extra: { what?: string; mainCallee?: LineCall } = {},
): string {
  let s = `${extra.what ? `${inert(extra.what)} · ` : ''}${formatPercent(pct(ctx, f.total))} total · ${formatPercent(pct(ctx, f.own))} own`;
  if (extra.mainCallee) s += ` · ${Math.round(extra.mainCallee.share)}% in ${inert(extra.mainCallee.name)}`;
  const shown = listed(callers, f.total);
  if (shown.length > 0) {
    const names = distinctNames(shown);
    s += ' · callers: ' + shown.map((c, i) => `${names[i]} ${Math.round(share(c.value, f.total))}%`).join(', ');
  }
  if (note) s += ` · ${note}`;
  return s;
}

export interface CalleeLine {
  readonly name: string;
  /** The file as the user knows it (a workspace-relative path, else the recorded file name). */
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

/** Evidence that the numbers may not fit the text shown: what was seen, in words. */
export interface Staleness {
  readonly reasons: readonly string[];
}


/** Said instead of a line total for formats that record none (.cpuprofile positionTicks). */
export const NO_LINE_TOTALS = 'This format records no per-line totals: only the samples taken at this line.';

function header(ctx: CostContext, f: Figures, ownOnly = false, call?: LineCall): string[] {
  const own =
    f.own === 0 && call && !ownOnly
      ? `none of it in the line itself: ${formatPercent(call.share)} in ${inlineCode(call.name)}`
      : `**${formatPercent(pct(ctx, f.own))}** own (${formatValue(f.own, ctx.unit)})`;
  return [
    ownOnly ? own : `**${formatPercent(pct(ctx, f.total))}** total (${formatValue(f.total, ctx.unit)}) · ${own}`,
    '',
    `${escapeMarkdown(ctx.metricLabel)} · ${escapeMarkdown(ctx.scopeLabel)} · ${formatValue(ctx.scopeTotal, ctx.unit)} in all · ${inlineCode(ctx.profileName)}`,
  ];
}

/** What "total" and "own" mean, said once at the foot of every hover (users asked). */
export const LEGEND = '_total: here and in everything called from here, each sample counted once · own: here alone_';

function staleNote(stale: Staleness | undefined): string[] {
  if (!stale || stale.reasons.length === 0) return [];
  return ['', `_Possibly stale: ${stale.reasons.map(escapeMarkdown).join('; ')}._`];
}

function calleeList(title: string, items: readonly CalleeLine[], ctx: CostContext, whole: number, of: string): string[] {
  const shown = listed(items, whole);
  if (shown.length === 0) return [];
  const names = distinctNames(shown);
  return [
    '',
    `**${title}**`,
    '',
    ...shown.map(
      (c, i) => `- ${formatPercent(pct(ctx, c.value))} ${inlineCode(names[i])} in ${inlineCode(c.file || '?')} (${formatPercent(share(c.value, whole))} of ${of})`,
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
  /** For a line with no own time: where its total goes (said instead of "0.0% own"). */
  call?: LineCall;
}): string {
  const { ctx, figures } = args;
  const where = `${inlineCode(args.file)} line ${args.line}` + (args.functionName ? ` in ${inlineCode(displayName(args.functionName))}` : '');
  const out = [`**flamelens** · ${where}`, '', ...header(ctx, figures, args.ownOnly, args.call)];
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
  /** What it is when not a function: `module code (import time)`. */
  what?: string;
}): string {
  const { ctx, figures } = args;
  const what = args.what ? escapeMarkdown(args.what) : 'function';
  const out = [`**flamelens** · ${what} ${inlineCode(displayName(args.name))} in ${inlineCode(args.file)}`, '', ...header(ctx, figures)];
  if (args.note) out.push('', `_${escapeMarkdown(args.note)}_`);
  const callers = listed(args.callers, figures.total);
  if (callers.length > 0) {
    const names = distinctNames(callers);
    out.push('', `**Callers** (share of this function's total)`, '');
    callers.forEach((c, i) => {
      const at = c.line > 0 ? `${c.file || '?'}:${c.line}` : c.file || '?';
      out.push(`- ${formatPercent(share(c.value, figures.total))} from ${inlineCode(names[i])} at ${inlineCode(at)} (${formatPercent(pct(ctx, c.value))} of all)`);
    });
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
