/**
 * Carrying a baseline's lines to the current run's lines (docs/diff.md, "Lines that moved"): each
 * line goes with the function it belongs to, by a shift found from evidence, or not at all.
 */
import { enclosingDefinition, findDefinition, type Definition } from './definitions';
import type { Change, ProfileDiff } from './diff';
import type { FileCosts, LineCost, ProfileView } from './view';

/** How the shift of a function's lines from the baseline to the current source was found. */
export type ShiftHow = 'format' | 'calls' | 'shape' | 'body' | 'neighbours';

export interface FunctionShift {
  /** current line = baseline line + shift; undefined when it cannot be told without guessing. */
  readonly shift: number | undefined;
  readonly how: ShiftHow | 'ambiguous';
}

export interface LineChange extends Change {
  /** 1-based line in the current run's recording of the file. */
  readonly line: number;
  /** The baseline's line it was carried from; 0 for a line with no baseline counterpart (new). */
  readonly baseLine: number;
  /** The function (qualified name) the line belongs to, for shifts and texts. */
  readonly owner: string;
}

export interface FileLineDiff {
  /** Current recorded line -> its change. Lines of functions whose shift is unknown are absent. */
  readonly lines: Map<number, LineChange>;
  /** By owning function (qualified name, `<module>` for top-level code). */
  readonly shifts: Map<string, FunctionShift>;
  /** Baseline lines with data that have no current line (function gone, or not placeable). */
  readonly unplaced: readonly { readonly line: number; readonly owner: string; readonly base: number }[];
}

const MODULE = '<module>';

/** Strips trailing anonymous parts: `blobs.<locals>.<listcomp>` -> `blobs`; undefined for `<module>`, `<lambda>`. */
function ownerName(name: string): string | undefined {
  const parts = name.split('.');
  const anon = (s: string) => s.startsWith('<') && s.endsWith('>');
  while (parts.length > 0 && anon(parts[parts.length - 1])) {
    parts.pop();
    if (parts[parts.length - 1] === '<locals>') parts.pop();
  }
  return parts.length > 0 && parts[0] !== '' ? parts.join('.') : undefined;
}

/**
 * Line changes of one file, in the current run's line numbers. `baseRecorded` and
 * `currentRecorded` are the paths each run recorded for the file; `defs` the definitions of
 * the current source in the current run's line numbers (undefined when unknown: the CLI).
 *
 * Lines move when code is edited above them, so a baseline line is carried through the function
 * it belongs to: current line = baseline line + that function's shift. The shift comes from,
 * in order: the definition lines both runs record (pprof, .cpuprofile, pstats); the calls the
 * function makes (a line calling `f` then and a line calling `f` now: the shift most such
 * pairs agree on, strictly more than any other); the same lines with the same distribution of
 * samples under one shift (unchanged code, see `sameShape`); the body fitting only one way (its
 * lines span as much as its current definition); the nearest functions before and after it
 * whose shifts are known and agree. With the current source known, a shift must keep every
 * baseline line of the function inside its current definition (the body still fits), and
 * top-level code may not land inside a definition. A function whose shift stays unknown is
 * compared at the function level only: its lines get no change, rather than a neighbour's number.
 */
export function carryLines(d: ProfileDiff, baseRecorded: readonly string[], currentRecorded: readonly string[], defs?: readonly Definition[]): FileLineDiff {
  const lines = new Map<number, LineChange>();
  const shifts = new Map<string, FunctionShift>();
  const unplaced: { line: number; owner: string; base: number }[] = [];
  const bv = d.base.view;
  const cv = d.current.view;
  const bCosts = baseRecorded.length ? bv.fileCosts(baseRecorded) : undefined;
  const cCosts = currentRecorded.length ? cv.fileCosts(currentRecorded) : undefined;
  if ((bCosts?.lineData ?? cCosts?.lineData) === 'none' || (!bCosts && !cCosts)) return { lines, shifts, unplaced };
  const bCounts = d.base.counts?.fileCosts(baseRecorded);
  const cCounts = d.current.counts?.fileCosts(currentRecorded);
  const ownOnly = (bCosts ?? cCosts)!.lineData === 'own';
  const val = (c: LineCost | undefined) => (c ? (ownOnly ? c.own : c.total) : 0);

  const B = groupByOwner(bv, bCosts);
  const C = groupByOwner(cv, cCosts);
  const bDef = defLines(bCosts);
  const cDef = defLines(cCosts);
  const calleesOf = (view: ProfileView, side: 'base' | 'current', cost: LineCost) =>
    new Set(view.lineCallees(cost.lineIds).map((e) => d.functionKey(view.profile, e.funcId, side)));

  // 1. evidence per function
  const span = (owner: string, cur: Map<number, LineCost> | undefined) =>
    owner === MODULE || !defs ? undefined : findDefinition(defs, owner, cur ? minKey(cur) : undefined);
  const fits = (owner: string, line: number, d: Definition | undefined): boolean => {
    if (line < 1) return false;
    if (!defs) return true;
    if (owner === MODULE) return enclosingDefinition(defs, line) === undefined;
    return !!d && d.line <= line && line <= d.endLine;
  };
  const owners = [...B.keys()].sort((a, b) => minKey(B.get(a)!) - minKey(B.get(b)!));
  const known = new Map<string, number>();
  const spans = new Map<string, Definition | undefined>();
  for (const owner of owners) {
    const bl = B.get(owner)!;
    const cl = C.get(owner);
    const d = span(owner, cl);
    spans.set(owner, d);
    const ok = (s: number) => [...bl.keys()].every((l) => fits(owner, l + s, d));
    let found: FunctionShift | undefined;
    const fb = bDef.get(owner);
    const fc = cDef.get(owner);
    if (fb && fc && ok(fc - fb)) found = { shift: fc - fb, how: 'format' };
    if (!found && cl) {
      const s = voteByCalls(bl, cl, (c) => calleesOf(bv, 'base', c), (c) => calleesOf(cv, 'current', c));
      if (s !== undefined && ok(s)) found = { shift: s, how: 'calls' };
    }
    if (!found && cl && bCounts && cCounts) {
      const s = sameShape(bl, cl, (l) => val(bCounts.lines.get(l)), (l) => val(cCounts.lines.get(l)));
      if (s !== undefined && ok(s)) found = { shift: s, how: 'shape' };
    }
    if (!found && d && owner !== MODULE) {
      const lo = d.line - minKey(bl);
      const hi = d.endLine - maxKey(bl);
      if (lo === hi) found = { shift: lo, how: 'body' };
    }
    if (found) {
      shifts.set(owner, found);
      known.set(owner, found.shift!);
    }
  }
  // 2. the rest from their neighbours (top-level code has none: it is everywhere)
  const named = owners.filter((o) => o !== MODULE);
  for (let i = 0; i < named.length; i++) {
    const owner = named[i];
    if (shifts.has(owner)) continue;
    let before: number | undefined;
    let after: number | undefined;
    for (let j = i - 1; j >= 0 && before === undefined; j--) before = known.get(named[j]);
    for (let j = i + 1; j < named.length && after === undefined; j++) after = known.get(named[j]);
    const d = spans.get(owner);
    const bl = B.get(owner)!;
    let s: number | undefined;
    if (before !== undefined && after !== undefined) s = before === after ? before : undefined;
    else if (d) s = before ?? after; // one side only: the current definition must confirm it
    if (s !== undefined && (!defs || d) && [...bl.keys()].every((l) => fits(owner, l + s!, d))) {
      shifts.set(owner, { shift: s, how: 'neighbours' });
    } else {
      shifts.set(owner, { shift: undefined, how: 'ambiguous' });
    }
  }

  for (const owner of owners) if (!shifts.has(owner)) shifts.set(owner, { shift: undefined, how: 'ambiguous' });

  // 3. carry the lines; a current line claimed twice is left out rather than guessed
  const carried = new Map<number, { baseLine: number; owner: string } | null>();
  for (const owner of owners) {
    const s = shifts.get(owner)!.shift;
    for (const [b, cost] of B.get(owner)!) {
      const to = s === undefined ? undefined : b + s;
      if (to === undefined || !fits(owner, to, spans.get(owner))) {
        unplaced.push({ line: b, owner, base: d.baseInUnit(val(cost)) });
        continue;
      }
      carried.set(to, carried.has(to) ? null : { baseLine: b, owner });
    }
  }
  for (const [to, from] of carried) {
    if (!from) continue;
    const b = bCosts!.lines.get(from.baseLine);
    const c = cCosts?.lines.get(to);
    const change = d.change({
      base: val(b),
      baseCount: val(bCounts?.lines.get(from.baseLine)),
      current: val(c),
      currentCount: val(cCounts?.lines.get(to)),
    });
    lines.set(to, { ...change, line: to, baseLine: from.baseLine, owner: from.owner });
  }
  // 4. current lines nothing was carried to: new, when their function's place is known (or it is new)
  for (const [owner, cl] of C) {
    const sh = shifts.get(owner);
    if (sh && sh.shift === undefined) continue;
    for (const [line, cost] of cl) {
      if (carried.has(line)) continue;
      const change = d.change({ base: 0, baseCount: 0, current: val(cost), currentCount: val(cCounts?.lines.get(line)) });
      lines.set(line, { ...change, line, baseLine: 0, owner });
    }
  }
  return { lines, shifts, unplaced };
}

/** The shift most call pairs agree on (a baseline line and a current line calling the same function), if it beats every other. */
function voteByCalls(
  bl: Map<number, LineCost>,
  cl: Map<number, LineCost>,
  bCallees: (c: LineCost) => Set<string>,
  cCallees: (c: LineCost) => Set<string>,
): number | undefined {
  const byCallee = new Map<string, number[]>();
  for (const [line, cost] of cl) {
    for (const k of cCallees(cost)) {
      const list = byCallee.get(k);
      if (list) list.push(line);
      else byCallee.set(k, [line]);
    }
  }
  if (byCallee.size === 0) return undefined;
  const votes = new Map<number, number>();
  for (const [b, cost] of bl) {
    const pairs = new Set<number>();
    for (const k of bCallees(cost)) for (const c of byCallee.get(k) ?? []) pairs.add(c);
    for (const c of pairs) votes.set(c - b, (votes.get(c - b) ?? 0) + 1);
  }
  let best: number | undefined;
  let top = 0;
  let second = 0;
  for (const [s, n] of votes) {
    if (n > top) {
      second = top;
      top = n;
      best = s;
    } else if (n > second) second = n;
  }
  return top > second ? best : undefined;
}

/**
 * The shift under which a function's recorded lines are the same set in both runs, with the same
 * distribution of its samples over them (no line differs beyond noise: a χ² test of homogeneity
 * within three standard deviations of its mean); undefined otherwise. Unchanged code that moved
 * looks like this; code that changed does not (`audit`'s two old lines, one with 99.8 % of its
 * samples, shifted by 3 onto its two new lines, split 1:2, are rejected).
 */
function sameShape(bl: Map<number, LineCost>, cl: Map<number, LineCost>, bCount: (line: number) => number, cCount: (line: number) => number): number | undefined {
  if (bl.size < 2 || bl.size !== cl.size) return undefined;
  const s = minKey(cl) - minKey(bl);
  for (const l of bl.keys()) if (!cl.has(l + s)) return undefined;
  let nb = 0;
  let nc = 0;
  for (const l of bl.keys()) {
    nb += bCount(l);
    nc += cCount(l + s);
  }
  if (nb === 0 || nc === 0) return undefined;
  let chi2 = 0;
  for (const l of bl.keys()) {
    const b = bCount(l);
    const c = cCount(l + s);
    const eb = ((b + c) * nb) / (nb + nc);
    const ec = ((b + c) * nc) / (nb + nc);
    if (eb > 0) chi2 += (b - eb) ** 2 / eb;
    if (ec > 0) chi2 += (c - ec) ** 2 / ec;
  }
  const df = bl.size - 1;
  return chi2 <= df + 3 * Math.sqrt(2 * df) ? s : undefined;
}

/** Lines of a file by the function they belong to: the innermost named one (a comprehension's lines go with its def). */
function groupByOwner(view: ProfileView, costs: FileCosts | undefined): Map<string, Map<number, LineCost>> {
  const out = new Map<string, Map<number, LineCost>>();
  if (!costs) return out;
  for (const [line, cost] of costs.lines) {
    let owner: string | undefined;
    const ids = cost.funcId >= 0 ? [cost.funcId, ...cost.funcIds.filter((f) => f !== cost.funcId)] : cost.funcIds;
    for (const f of ids) {
      owner = ownerName(view.fn(f).name);
      if (owner) break;
    }
    const o = owner ?? MODULE;
    let m = out.get(o);
    if (!m) out.set(o, (m = new Map()));
    m.set(line, cost);
  }
  return out;
}

/** Definition lines a format records, by function name (none for Austin). */
function defLines(costs: FileCosts | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of costs?.functions ?? []) if (f.defLine > 0) out.set(f.name, f.defLine);
  return out;
}

function minKey(m: Map<number, unknown>): number {
  let x = Infinity;
  for (const k of m.keys()) if (k < x) x = k;
  return x;
}

function maxKey(m: Map<number, unknown>): number {
  let x = -Infinity;
  for (const k of m.keys()) if (k > x) x = k;
  return x;
}
