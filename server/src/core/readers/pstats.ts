import { Aggregation } from '../aggregate';
import type { MetricDef, Profile } from '../model';
import { BufferedReader } from './buffered';
import { MarshalDict, MarshalError, MarshalReader, type MarshalValue } from './marshal';
import { META } from './meta-keys';
import { MAX_VALUE, ReadChecks } from './values';

/**
 * Python cProfile / pstats dumps (formats.md §7): a marshal dict
 * `(file, line, func) -> (cc, nc, tt, ct, {caller key -> (nc, cc, tt, ct)})`, times in seconds.
 *
 * pstats has no stacks and no line data, only per-function own (tt) and cumulative (ct) time at
 * the definition line, plus the time each direct caller accounts for. The model's call tree can
 * hold the own times exactly but not the cumulative ones (a tree of depth two cannot; deeper trees
 * would invent call paths). So:
 *
 * - the tree holds, for each function f and each caller g, a two-frame stack g → f carrying
 *   f's own time and calls from g (tt, nc of the callers entry), plus f alone for the rest
 *   (calls from outside the profile). So `funcOwn` is exactly tt (metric `time`, seconds) and
 *   nc (metric `calls`), and callers/callees ranked by own time are real pstats numbers;
 * - `funcTotal`, `lineTotal` and `nodeTotal` from the tree are NOT cumulative times. The exact
 *   ones, and each caller's cumulative share, are in `pstatsTable(profile)`; meta
 *   `flamelens.functionTotals` = 'pstats' says to read them there, and `flamelens.lineTotals` /
 *   `flamelens.lineOwn` = 'none' say that there is nothing per line (meta-keys.ts).
 *
 * Built-ins (`('~', 0, "<built-in method ...>")`) and `<...>` files are synthetic frames.
 *
 * An entry whose numbers cannot be true is refused with one counted issue naming its byte offset
 * (values.ts): a time or count that is negative, not finite or past 2^53; own time above the
 * total (tt > ct); a caller's own above its total, or its total above the function's; callers
 * that account for more own time or calls than the function has; and a function whose total is
 * above the time of the whole profile (Σ tt), which would show as more than 100 %. Comparisons of
 * times allow for float rounding (1e-9 relative). The outermost function's total does pass Σ tt
 * by a hair in real dumps (`exec`: 7.7439282 s against 7.7439273 s in the committed one: time
 * cProfile counts in no function's own); up to `TOTAL_SLACK` over, the totals aggregation sees
 * are capped at Σ tt (`pstatsTable` keeps the recorded ones), beyond it the entry is refused.
 */

/** One caller edge of a function, from the pstats callers dict. */
export interface PstatsCaller {
  /** The calling function (model function id). */
  readonly funcId: number;
  /** The caller's pstats key as recorded. */
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly calls: number;
  readonly primitiveCalls: number;
  /** Seconds spent in the callee itself when called from here (NaN for the old `profile` module, which only counts). */
  readonly own: number;
  /** Seconds spent in the callee and below when called from here (NaN for the old `profile` module). */
  readonly total: number;
}

/** One function's line of pstats, keyed by model function id. */
export interface PstatsFunction {
  readonly funcId: number;
  /** The pstats key as recorded: definition file, line and function name. */
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly calls: number;
  readonly primitiveCalls: number;
  /** tt, seconds. */
  readonly own: number;
  /** ct, seconds. */
  readonly total: number;
  /** Hottest (by total, then own) first. */
  readonly callers: readonly PstatsCaller[];
}

export interface PstatsTable {
  readonly functions: ReadonlyMap<number, PstatsFunction>;
  /** Σ tt, seconds: what pstats prints as "in N seconds", and the tree's `time` total. */
  readonly totalTime: number;
  readonly totalCalls: number;
  readonly primitiveCalls: number;
}

const tables = new WeakMap<Profile, PstatsTable>();

/**
 * The exact pstats function table of a profile read from a pstats file, or undefined for any
 * other profile. Use it for function totals and callers when meta `flamelens.functionTotals` is 'pstats'.
 */
export function pstatsTable(profile: Profile): PstatsTable | undefined {
  return tables.get(profile);
}

/** Format detection: a marshal dict (`{`, with or without FLAG_REF) whose first key is a 3-tuple. */
export function detectPstats(head: Uint8Array): boolean {
  if (head.length < 4 || (head[0] & 0x7f) !== 0x7b) return false;
  const t = head[1] & 0x7f;
  let next: number;
  if (t === 0x29 /* ) */) {
    if (head[2] !== 3) return false;
    next = 3;
  } else if (t === 0x28 /* ( */) {
    if (head.length < 7 || head[2] !== 3 || head[3] !== 0 || head[4] !== 0 || head[5] !== 0) return false;
    next = 6;
  } else {
    return false;
  }
  // the file name: a string of any marshal string type, or a back-reference
  return 'zZaAut'.includes(String.fromCharCode(head[next] & 0x7f)) || (head[next] & 0x7f) === 0x72;
}

const TIME: MetricDef = { key: 'time', label: 'time', unit: 'seconds' };
const CALLS: MetricDef = { key: 'calls', label: 'calls', unit: 'count' };

interface RawKey {
  file: string;
  line: number;
  name: string;
}

interface RawEntry {
  /** Byte offset of the entry in the file. */
  offset: number;
  key: RawKey;
  cc: number;
  nc: number;
  tt: number;
  ct: number;
  callers: { key: RawKey; nc: number; cc: number; tt: number; ct: number }[];
}

function asKey(v: MarshalValue): RawKey | undefined {
  if (!Array.isArray(v) || v.length !== 3) return undefined;
  const [file, line, name] = v;
  if (typeof file !== 'string' || typeof line !== 'number' || typeof name !== 'string') return undefined;
  return { file, line, name };
}

const isNum = (v: MarshalValue): v is number => typeof v === 'number';

function asEntry(k: MarshalValue, v: MarshalValue, offset: number): RawEntry | string {
  const key = asKey(k);
  if (!key) return 'a key that is not (file, line, function)';
  if (!Array.isArray(v) || v.length !== 5 || !v.slice(0, 4).every(isNum) || !(v[4] instanceof MarshalDict)) {
    return `the value for ${key.name} is not (cc, nc, tt, ct, callers)`;
  }
  const [cc, nc, tt, ct] = v as number[];
  const callers: RawEntry['callers'] = [];
  for (const [ck, cv] of (v[4] as MarshalDict).entries) {
    const ckey = asKey(ck);
    if (!ckey) return `a caller of ${key.name} is not (file, line, function)`;
    if (isNum(cv)) {
      // the old pure-Python `profile` module: a call count only
      callers.push({ key: ckey, nc: cv, cc: cv, tt: NaN, ct: NaN });
    } else if (Array.isArray(cv) && cv.length === 4 && cv.every(isNum)) {
      const [cnc, ccc, ctt, cct] = cv as number[];
      callers.push({ key: ckey, nc: cnc, cc: ccc, tt: ctt, ct: cct });
    } else {
      return `a caller entry of ${key.name} is not (nc, cc, tt, ct)`;
    }
  }
  return { offset, key, cc, nc, tt, ct, callers };
}

/** How far (relative) a function's total may pass Σ tt before it is judged impossible. */
const TOTAL_SLACK = 1e-3;

/** a <= b, allowing for float rounding in the sums cProfile makes. */
const atMost = (a: number, b: number) => a <= b + 1e-9 * Math.abs(b) + 1e-12;
const valid = (x: number) => x >= 0 && x <= MAX_VALUE;

/** Why an entry's numbers cannot be true, or undefined when they can. */
export function impossibleEntry(e: Pick<RawEntry, 'cc' | 'nc' | 'tt' | 'ct' | 'callers'>): string | undefined {
  if (![e.cc, e.nc, e.tt, e.ct].every(valid)) return 'a negative, infinite or too large count or time';
  if (!atMost(e.tt, e.ct)) return `its own time (${e.tt} s) above its total (${e.ct} s)`;
  let tt = 0;
  let nc = 0;
  for (const c of e.callers) {
    // NaN times: the old `profile` module records counts only
    const times = Number.isNaN(c.tt) && Number.isNaN(c.ct) ? [] : [c.tt, c.ct];
    if (![c.nc, c.cc, ...times].every(valid)) return 'a caller with a negative, infinite or too large count or time';
    if (times.length > 0) {
      if (!atMost(c.tt, c.ct)) return `a caller's own time (${c.tt} s) above its total (${c.ct} s)`;
      if (!atMost(c.ct, e.ct)) return `a caller's total (${c.ct} s) above the function's (${e.ct} s)`;
      tt += c.tt;
    }
    nc += c.nc;
  }
  if (!atMost(tt, e.tt)) return `callers accounting for more own time (${tt} s) than the function has (${e.tt} s)`;
  if (nc > e.nc) return `callers accounting for more calls (${nc}) than the function has (${e.nc})`;
  return undefined;
}

function keyText(k: RawKey): string {
  return `${k.file}\u0000${k.line}\u0000${k.name}`;
}

export class PstatsReader extends BufferedReader {
  readonly format = 'pstats';

  constructor(profile: Profile) {
    super(profile);
    profile.format = this.format;
  }

  protected decode(bytes: Buffer): void {
    const entries: RawEntry[] = [];
    const reader = new MarshalReader(bytes);
    try {
      reader.readDictEntries((k, v, offset) => {
        const e = asEntry(k, v, offset);
        if (typeof e === 'string') throw new MarshalError(`not a pstats dump: ${e}`, offset);
        entries.push(e);
        this.consumed = reader.pos;
      });
      this.consumed = reader.pos;
      if (reader.pos < bytes.length) {
        this.issue(`${bytes.length - reader.pos} bytes follow the stats dict; they were ignored`, reader.pos, false);
      }
    } catch (e) {
      if (!(e instanceof MarshalError)) throw e;
      const kept = entries.length ? `; the ${entries.length} functions before it were read` : '';
      this.issue(`${e.message}${kept}`, e.offset, true);
    }
    this.build(entries);
  }

  /** The entries whose numbers can be true; the others are reported once per kind of problem. */
  private plausible(entries: RawEntry[], checks: ReadChecks): RawEntry[] {
    const kept: RawEntry[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      // a dict holds each key once; a damaged file may repeat one, which would count it twice
      const k = keyText(e.key);
      if (seen.has(k)) {
        checks.refuseRecord('duplicate', 0, e.offset, `the stats of ${e.key.name} appear a second time`, 'the repeat was skipped', 'such repeats were skipped');
        continue;
      }
      seen.add(k);
      const why = impossibleEntry(e);
      // one counted issue per kind of problem (the reason without its numbers)
      if (why) checks.refuseRecord(`entry:${why.replace(/\([^)]*\)/g, '')}`, 0, e.offset, `the stats of ${e.key.name} hold ${why}, which cannot be`, 'the entry was skipped', 'such entries were skipped');
      else kept.push(e);
    }
    return kept;
  }

  /**
   * No function's total can pass the time of the whole profile. Largest totals first: dropping
   * one lowers the sum, so each is judged against the sum of what remains.
   */
  private aboveAll(kept: RawEntry[], checks: ReadChecks): Set<RawEntry> {
    let sum = 0;
    for (const e of kept) sum += e.tt;
    const byTotal = [...kept].sort((a, b) => b.ct - a.ct);
    const refused = new Set<RawEntry>();
    for (const e of byTotal) {
      if (e.ct <= sum * (1 + TOTAL_SLACK) + 1e-12) break;
      refused.add(e);
      sum -= e.tt;
      checks.refuseRecord('above-all', 0, e.offset, `the total of ${e.key.name} (${e.ct} s) is above the time of the whole profile (${sum + e.tt} s), which cannot be`, 'the entry was skipped', 'such entries were skipped');
    }
    return refused;
  }

  private build(all: RawEntry[]): void {
    const p = this.profile;
    const checks = new ReadChecks(p, this.log);
    const entries = this.plausible(all, checks);
    const at = (e: RawEntry) => e.offset;
    p.setMetrics([TIME, CALLS]);
    p.setMeta(META.lineTotals, 'none');
    p.setMeta(META.lineOwn, 'none');
    p.setMeta(META.functionTotals, 'pstats');
    const thread = p.thread('', '', '', 'main');

    // Names: pstats keys carry the bare co_name, so two `__init__`s of one file would merge into
    // one model function (keyed by file and name); those get their line added.
    const lines = new Map<string, Set<number>>();
    const note = (k: RawKey): void => {
      const id = `${k.file}\u0000${k.name}`;
      let s = lines.get(id);
      if (!s) lines.set(id, (s = new Set()));
      s.add(k.line);
    };
    for (const e of entries) {
      note(e.key);
      for (const c of e.callers) note(c.key);
    }
    const frames = new Map<string, number>();
    const frameOf = (k: RawKey): number => {
      const t = keyText(k);
      let f = frames.get(t);
      if (f !== undefined) return f;
      const builtin = k.file === '~';
      const file = checks.name(builtin ? '' : k.file, 0, 0);
      // the name is cut before the line is added: cut names must stay apart too
      const base = checks.name(k.name, 0, 0);
      const name = (lines.get(`${k.file}\u0000${k.name}`)?.size ?? 0) > 1 ? `${base} (line ${k.line})` : base;
      const synthetic = builtin || file === '' || (file.startsWith('<') && file.endsWith('>'));
      f = p.frame(file, name, builtin ? 0 : k.line, {
        defLine: !builtin && k.line > 0 ? k.line : undefined,
        kind: synthetic ? 'synthetic' : 'source',
      });
      frames.set(t, f);
      return f;
    };

    const pair = new Int32Array(2);
    // The tree first: an entry whose values cannot all be added (sums past 2^53) is taken back
    // whole, so that its function-level totals never stand without its own values.
    const added = new Map<RawEntry, { node: number; values: Float64Array }[]>();
    for (const e of entries) {
      const f = frameOf(e.key);
      let restTime = e.tt;
      let restCalls = e.nc;
      const adds: { node: number; values: Float64Array }[] = [];
      const put = (node: number, tt: number, nc: number): boolean => {
        const values = Float64Array.of(tt, nc);
        if (!checks.add(node, values, 0, at(e))) return false;
        adds.push({ node, values });
        return true;
      };
      let ok = true;
      for (const c of e.callers) {
        pair[0] = frameOf(c.key);
        pair[1] = f;
        const tt = Number.isNaN(c.tt) ? 0 : c.tt;
        ok = put(p.path(thread, pair, 2), tt, c.nc);
        if (!ok) break;
        restTime -= tt;
        restCalls -= c.nc;
      }
      // Calls from outside the profile (the top-level entry) and float rounding of the sum:
      // what the callers do not account for stays on f alone.
      const eps = 1e-12 * Math.max(1, Math.abs(e.tt));
      if (ok && (restTime > eps || restCalls > 0)) {
        pair[0] = f;
        ok = put(p.path(thread, pair, 1), restTime > eps ? restTime : 0, restCalls > 0 ? restCalls : 0);
      }
      if (ok) added.set(e, adds);
      else for (const a of adds) checks.remove(a.node, a.values);
    }
    for (const e of this.aboveAll([...added.keys()], checks)) {
      for (const a of added.get(e)!) checks.remove(a.node, a.values);
      added.delete(e);
    }

    const functions = new Map<number, PstatsFunction>();
    let totalTime = 0;
    let totalCalls = 0;
    let primitive = 0;
    for (const e of added.keys()) {
      const f = frameOf(e.key);
      const callers: PstatsCaller[] = e.callers.map((c) => ({ funcId: p.frameFunc[frameOf(c.key)], ...c.key, calls: c.nc, primitiveCalls: c.cc, own: c.tt, total: c.ct }));
      callers.sort((a, b) => (b.total || 0) - (a.total || 0) || (b.own || 0) - (a.own || 0));
      const funcId = p.frameFunc[f];
      functions.set(funcId, {
        funcId,
        file: e.key.file,
        line: e.key.line,
        name: e.key.name,
        calls: e.nc,
        primitiveCalls: e.cc,
        own: e.tt,
        total: e.ct,
        callers,
      });
      totalTime += e.tt;
      totalCalls += e.nc;
      primitive += e.cc;
    }
    p.setMeta('total_tt', String(totalTime));
    p.setMeta('total_calls', String(totalCalls));
    p.setMeta('prim_calls', String(primitive));
    tables.set(p, { functions, totalTime, totalCalls, primitiveCalls: primitive });
    // Hand the exact cumulative values to aggregation, so every consumer gets pstats' own numbers
    // (capped at Σ tt: see TOTAL_SLACK).
    // The cap is the total aggregation will compute (the tree's own times summed in its order),
    // so that the top function's share is exactly 100 %, not 100.00000000000004.
    const shown = new Aggregation(p, {}, 'time').total;
    const cap = (t: number) => (t > shown ? shown : t);
    const totals = new Map([
      ['time', new Map([...functions].map(([id, fn]) => [id, cap(fn.total)]))],
      ['calls', new Map([...functions].map(([id, fn]) => [id, fn.calls]))],
    ]);
    const callerLevel = new Map(
      [...functions].map(([id, fn]) => [
        id,
        fn.callers.map((c) => ({
          funcId: c.funcId,
          lineId: p.frameLine[frameOf({ file: c.file, line: c.line, name: c.name })],
          values: new Map([
            ['time', Number.isNaN(c.total) ? 0 : cap(c.total)],
            ['calls', c.calls],
          ]),
        })),
      ]),
    );
    p.functionLevel = { totals, callers: callerLevel };
  }
}
