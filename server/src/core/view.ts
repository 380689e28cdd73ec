/**
 * The query surface of the engine: one profile seen through one metric and scope, frozen at one
 * moment. Every consumer (inlay hints, lenses, hovers, commands, the CLI, the flame graph) asks a
 * ProfileView; none reads aggregation arrays or profile ids directly.
 *
 * Lines here are the profile's own: 1-based, in the recorded file. Mapping them to an edited
 * document is the caller's business (LineTracker).
 */
import { type Aggregation, aggregate } from './aggregate';
import { percentOf } from './format';
import type { FrameKind, MetricDef, Profile, Scope } from './model';
import { type CostContext, displayName, inert } from './present';

import { META } from './readers/meta-keys';

/**
 * What a format records per line: everything (Austin, MOJO, pprof, ...), only own values
 * (.cpuprofile positionTicks: no call-site lines, so no line totals), or nothing (pstats).
 * Views show what is there and never invent the rest.
 */
export type LineData = 'full' | 'own' | 'none';

export function lineDataOf(profile: Profile): LineData {
  if (profile.meta.get(META.lineOwn) === 'none') return 'none';
  if (profile.meta.get(META.lineTotals) === 'none') return 'own';
  return 'full';
}

export interface FunctionRef {
  readonly id: number;
  readonly name: string;
  /** The recorded path ('' for frames without one). */
  readonly file: string;
  /** 1-based definition line recorded by the format, 0 when it records none. */
  readonly defLine: number;
  readonly kind: FrameKind;
}

export interface Figures {
  readonly own: number;
  readonly total: number;
}

export interface LineCost {
  own: number;
  total: number;
  /** The profile's line ids for this line (several when several recorded paths map to one file). */
  readonly lineIds: number[];
  /** The function executing this line: the innermost where several do (a comprehension in its def); -1 when none. */
  funcId: number;
  /** Every function with frames at this line. */
  readonly funcIds: number[];
}

export interface FunctionCost extends Figures {
  readonly funcId: number;
  readonly name: string;
  /** 1-based definition line recorded by the format, 0 when it records none. */
  readonly defLine: number;
  /** 1-based line with the highest total inside this function, 0 when it has no line data. */
  readonly hotLine: number;
}

export interface FileCosts {
  /** 1-based recorded line -> costs; only lines the format really records (see LineData). */
  readonly lines: Map<number, LineCost>;
  readonly lineData: LineData;
  /** Functions of this file with data, hottest (by total) first. */
  readonly functions: FunctionCost[];
  /** The recorded paths these costs come from. */
  readonly recorded: readonly string[];
}

/** A call from one function into another, at one line of the caller. */
export interface CallSite {
  readonly funcId: number;
  readonly file: string;
  /** 1-based line of the call in the caller's file; 0 when unknown. */
  readonly line: number;
  readonly value: number;
}

/** A calling function, all its call sites together, with the hottest of them. */
export interface Caller {
  readonly funcId: number;
  readonly value: number;
  readonly site: CallSite | undefined;
}

export interface Callee {
  readonly funcId: number;
  readonly value: number;
}

export interface LineRow extends Figures {
  readonly file: string;
  readonly line: number;
  /** The function executing the line (the innermost), -1 when unknown. */
  readonly funcId: number;
}

export interface FunctionRow extends Figures {
  readonly fn: FunctionRef;
}

export interface ThreadShare extends Figures {
  readonly label: string;
}

/** A scope in words; thread labels and ids are the profile's, made inert. */
export function scopeLabel(profile: Profile, scope: Scope): string {
  if (scope.thread !== undefined) {
    const t = profile.threads[scope.thread];
    return t ? inert(`thread ${t.label} (process ${t.pid})`) : `thread #${scope.thread}`;
  }
  if (scope.pid !== undefined) return inert(`process ${scope.pid}`);
  return 'all threads';
}

/**
 * What a view's percents are shares of: the samples of the scope (the whole profile when no
 * thread or process is picked), or the whole profile whatever the scope.
 */
export type PercentBase = 'scope' | 'profile';

export interface ViewOptions {
  /** Default 'scope'. */
  readonly base?: PercentBase;
}

export class ProfileView {
  readonly profile: Profile;
  readonly metric: MetricDef;
  /** The metric summed over the scope. */
  readonly total: number;
  /** The denominator of every percent: the scope total, or the whole profile's with base 'profile'. */
  readonly denominator: number;
  readonly base: PercentBase;
  readonly lineData: LineData;
  /** What tooltips and hovers say about the numbers' context. */
  readonly ctx: CostContext;
  /** Profile version the numbers reflect. */
  readonly version: number;
  // table sizes when the view was made: later ids have no aggregate yet
  private readonly lines: number;
  private readonly funcs: number;
  private byFile: Map<string, { lines: number[]; funcs: number[] }> | undefined;
  private lineFuncs: Map<number, number[]> | undefined;
  private readonly fileCache = new Map<string, FileCosts | undefined>();
  private readonly threadSplits = new Map<string, ThreadShare[]>();

  private constructor(
    private readonly agg: Aggregation,
    readonly scope: Scope,
    /** A name for the profile in texts (its file name). */
    readonly name: string,
    whole: Aggregation | undefined,
  ) {
    this.profile = agg.profile;
    this.version = this.profile.version;
    this.metric = this.profile.metrics[this.profile.metricIndex(agg.metric)];
    this.total = agg.total;
    this.base = whole ? 'profile' : 'scope';
    this.denominator = whole ? whole.total : agg.total;
    this.lineData = lineDataOf(this.profile);
    this.lines = agg.lineTotal.length;
    this.funcs = agg.funcTotal.length;
    const label = scopeLabel(this.profile, scope);
    this.ctx = {
      metricLabel: this.metric.label,
      unit: this.metric.unit,
      scopeTotal: this.denominator,
      scopeLabel: whole ? `${label}, as a share of all threads` : label,
      profileName: name,
    };
  }

  /**
   * The view of a profile for a metric key and scope; throws when the profile has no such metric.
   * With `base: 'profile'` and a narrowed scope, numbers count the scope's samples and percents are
   * shares of the whole profile.
   */
  static create(profile: Profile, metric: string, scope: Scope, name: string, opts: ViewOptions = {}): ProfileView {
    if (profile.metricIndex(metric) < 0) throw new Error(`this profile has no metric '${metric}'`);
    const narrowed = scope.pid !== undefined || scope.thread !== undefined;
    const whole = opts.base === 'profile' && narrowed ? aggregate(profile, {}, metric) : undefined;
    return new ProfileView(aggregate(profile, scope, metric), scope, name, whole);
  }

  get threads(): readonly number[] {
    return this.agg.threads;
  }

  /** The metric summed per thread of the whole profile (index = thread), in one pass over the call tree. */
  threadTotals(): Float64Array {
    const p = this.profile;
    const m = p.metricsPerNode;
    const mi = p.metricIndex(this.metric.key);
    const out = new Float64Array(p.threads.length);
    for (let n = 0; n < p.nodeCount; n++) out[p.nodeThread[n]] += p.nodeSelf[n * m + mi];
    return out;
  }

  /** Percent of the denominator (the scope total, or the whole profile's; see `base`). */

  percent(value: number): number {
    return percentOf(value, this.denominator);
  }

  /**
   * The context of numbers shown as shares of one function's total (the `function` percent base):
   * its total is the denominator. Undefined for a function without a total.
   */
  functionContext(funcId: number): CostContext | undefined {
    const total = this.functionCost(funcId).total;
    if (total <= 0) return undefined;
    return { ...this.ctx, scopeTotal: total, scopeLabel: `as a share of ${displayName(this.fn(funcId).name)} (${this.ctx.scopeLabel})` };
  }

  /** The id of a function by recorded file and name, -1 when this view has none. */
  functionId(file: string, name: string): number {
    const id = this.profile.functionId(file, name);
    return id === undefined || id >= this.funcs ? -1 : id;
  }

  fn(funcId: number): FunctionRef {
    const f = this.profile.functionAt(funcId);
    return { id: funcId, name: f.name, file: f.file, defLine: f.defLine, kind: f.kind };
  }

  /** Own and total of a function (zero for functions the view has no numbers for). */
  functionCost(funcId: number): Figures {
    if (funcId < 0 || funcId >= this.funcs) return { own: 0, total: 0 };
    return { own: this.agg.funcOwn[funcId], total: this.agg.funcTotal[funcId] };
  }

  /** Functions whose frames map to a source file: not the synthetic frames (`:INVALID:`, idle, GC, native). */
  isCode(funcId: number): boolean {
    return this.profile.funcKind[funcId] === 'source' && this.profile.str(this.profile.funcFile[funcId]) !== '';
  }

  private index(): Map<string, { lines: number[]; funcs: number[] }> {
    if (this.byFile) return this.byFile;
    const p = this.profile;
    const { lineTotal, lineOwn, funcTotal, funcOwn } = this.agg;
    const m = new Map<string, { lines: number[]; funcs: number[] }>();
    const slot = (file: string) => {
      let s = m.get(file);
      if (!s) m.set(file, (s = { lines: [], funcs: [] }));
      return s;
    };
    for (let i = 0; i < this.lines; i++) if (lineTotal[i] !== 0 || lineOwn[i] !== 0) slot(p.str(p.lineFile[i])).lines.push(i);
    for (let f = 0; f < this.funcs; f++) {
      if ((funcTotal[f] !== 0 || funcOwn[f] !== 0) && p.funcKind[f] === 'source') slot(p.str(p.funcFile[f])).funcs.push(f);
    }
    // line -> the functions executing it, from the call sites
    const lf = new Map<number, number[]>();
    for (let site = 0; site < p.siteFunc.length; site++) {
      const l = p.siteLine[site];
      if (l >= this.lines || (lineTotal[l] === 0 && lineOwn[l] === 0)) continue;
      const list = lf.get(l);
      if (list) list.push(p.siteFunc[site]);
      else lf.set(l, [p.siteFunc[site]]);
    }
    this.lineFuncs = lf;
    this.byFile = m;
    return m;
  }

  /** Recorded source paths with data in this view (frames that map to no file excluded). */
  sourceFiles(): string[] {
    return [...this.index().entries()].filter(([file, s]) => file !== '' && s.funcs.length > 0).map(([file]) => file);
  }

  /**
   * Line and function costs of the file the given recorded paths stand for (several when several
   * recorded paths map to one local file), or undefined when none has data. Only lines the format
   * records are listed: none for pstats, own values only for .cpuprofile, never line 0.
   */
  fileCosts(recorded: readonly string[]): FileCosts | undefined {
    const key = recorded.join('\u0000');
    if (this.fileCache.has(key)) return this.fileCache.get(key);
    const costs = this.computeFileCosts(recorded);
    this.fileCache.set(key, costs);
    return costs;
  }

  private computeFileCosts(recorded: readonly string[]): FileCosts | undefined {
    const p = this.profile;
    const { lineOwn, lineTotal, funcOwn, funcTotal } = this.agg;
    const byFile = this.index();
    if (!recorded.some((f) => byFile.has(f))) return undefined;
    const lines = new Map<number, LineCost>();
    const funcIds = new Set<number>();
    const lineData = this.lineData;
    for (const file of recorded) {
      const s = byFile.get(file);
      if (!s) continue;
      for (const id of lineData === 'none' ? [] : s.lines) {
        // Without line totals in the format, a non-leaf frame's line is its function's definition,
        // not a call site: only the own values are real line data.
        if (lineData === 'own' && lineOwn[id] === 0) continue;
        const n = p.lineNo[id];
        if (n <= 0) continue;
        const total = lineData === 'own' ? lineOwn[id] : lineTotal[id];
        const fs = this.lineFuncs!.get(id) ?? [];
        const c = lines.get(n);
        if (c) {
          c.own += lineOwn[id];
          c.total += total;
          c.lineIds.push(id);
          // several recorded paths of one file: merge their functions without a quadratic scan
          const have = new Set(c.funcIds);
          for (const f of fs) if (!have.has(f)) c.funcIds.push(f);
        } else {
          lines.set(n, { own: lineOwn[id], total, lineIds: [id], funcId: -1, funcIds: [...fs] });
        }
      }
      for (const f of s.funcs) funcIds.add(f);
    }
    // hottest line of each function, from the lines it executes
    const hot = new Map<number, { line: number; total: number }>();
    for (const [n, c] of lines) {
      c.funcId = this.innermost(c);
      for (const f of c.funcIds) {
        const h = hot.get(f);
        if (!h || c.total > h.total) hot.set(f, { line: n, total: c.total });
      }
    }
    const functions: FunctionCost[] = [...funcIds].map((f) => ({
      funcId: f,
      name: p.str(p.funcName[f]),
      own: funcOwn[f],
      total: funcTotal[f],
      defLine: p.funcDefLine[f] ?? 0,
      hotLine: hot.get(f)?.line ?? 0,
    }));
    functions.sort((a, b) => b.total - a.total || a.funcId - b.funcId);
    return { lines, lineData, functions, recorded };
  }

  /** Of the functions at a line, the one the others call from that line (a comprehension inside its def). */
  private innermost(c: LineCost): number {
    if (c.funcIds.length <= 1) return c.funcIds[0] ?? -1;
    const called = c.funcIds.filter((f) => c.lineIds.some((l) => this.agg.callsFrom(l, f)));
    return called.length > 0 ? called[called.length - 1] : c.funcIds[0];
  }

  /**
   * Call sites of a function, hottest first: each sample is credited to the call below the
   * function's outermost occurrence, so the values add up to at most the function's total. With
   * `limit` and `keep`, only the first `limit` sites whose calling function `keep` accepts are
   * made (a hover shows five of a function's million call sites).
   */
  callSites(funcId: number, limit = Infinity, keep?: (callerId: number) => boolean): CallSite[] {
    if (funcId < 0 || funcId >= this.funcs || limit <= 0) return [];
    const p = this.profile;
    const out: CallSite[] = [];
    for (const c of this.agg.callers(funcId)) {
      if (c.lineId >= this.lines || (keep && !keep(c.funcId))) continue;
      out.push({ funcId: c.funcId, file: p.str(p.lineFile[c.lineId]), line: p.lineNo[c.lineId], value: c.value });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** How many call sites `callSites` would give without a limit. */
  callSiteCount(funcId: number, keep?: (callerId: number) => boolean): number {
    if (funcId < 0 || funcId >= this.funcs) return 0;
    let n = 0;
    for (const c of this.agg.callers(funcId)) if (c.lineId < this.lines && (!keep || keep(c.funcId))) n++;
    return n;
  }

  /**
   * Calling functions (all call sites of each together), hottest first, with each one's hottest
   * call site; `limit` and `keep` as for `callSites`.
   */
  callers(funcId: number, limit = Infinity, keep?: (callerId: number) => boolean): Caller[] {
    if (funcId < 0 || funcId >= this.funcs || limit <= 0) return [];
    const chosen: Callee[] = [];
    for (const c of this.agg.functionCallers(funcId)) {
      if (keep && !keep(c.funcId)) continue;
      chosen.push(c);
      if (chosen.length >= limit) break;
    }
    // each chosen caller's hottest site (sites come hottest first), in one pass over the sites: a
    // function called from a million others must not cost a million times a million
    const want = new Set(chosen.map((c) => c.funcId));
    const hottest = new Map<number, CallSite>();
    const p = this.profile;
    for (const c of this.agg.callers(funcId)) {
      if (c.lineId >= this.lines || !want.has(c.funcId) || hottest.has(c.funcId)) continue;
      hottest.set(c.funcId, { funcId: c.funcId, file: p.str(p.lineFile[c.lineId]), line: p.lineNo[c.lineId], value: c.value });
      if (hottest.size === want.size) break;
    }
    return chosen.map((c) => ({ ...c, site: hottest.get(c.funcId) }));
  }

  /** Calling functions with their values only (no call sites: cheaper than `callers`), hottest first. */
  callingFunctions(funcId: number): Callee[] {
    if (funcId < 0 || funcId >= this.funcs) return [];
    return this.agg.functionCallers(funcId);
  }

  /** Functions called directly by a function's outermost occurrence, hottest first. */
  callees(funcId: number): Callee[] {
    if (funcId < 0 || funcId >= this.funcs) return [];
    return this.agg.callees(funcId);
  }

  /** Functions called from any of the given lines (one source line, several recorded ids), hottest first. */
  lineCallees(lineIds: readonly number[]): Callee[] {
    const byFunc = new Map<number, number>();
    for (const id of lineIds) {
      if (id >= this.lines) continue;
      for (const e of this.agg.lineCallees(id)) byFunc.set(e.funcId, (byFunc.get(e.funcId) ?? 0) + e.value);
    }
    return [...byFunc].map(([funcId, value]) => ({ funcId, value })).sort((a, b) => b.value - a.value);
  }

  /** Own and total of a line per thread of the scope, when the scope has several threads; hottest first. */
  lineThreads(lineIds: readonly number[]): ThreadShare[] {
    if (this.agg.threads.length <= 1) return [];
    const key = lineIds.join(',');
    const hit = this.threadSplits.get(key);
    if (hit) return hit;
    const by = new Map<number, { own: number; total: number }>();
    for (const id of lineIds) {
      if (id >= this.lines) continue;
      for (const t of this.agg.lineByThread(id)) {
        const b = by.get(t.thread) ?? { own: 0, total: 0 };
        b.own += t.own;
        b.total += t.total;
        by.set(t.thread, b);
      }
    }
    const out = [...by]
      .filter(([, v]) => v.total !== 0)
      .map(([t, v]) => {
        const th = this.profile.threads[t];
        return { label: inert(`${th.label} (process ${th.pid})`), own: v.own, total: v.total };
      })
      .sort((a, b) => b.total - a.total);
    this.threadSplits.set(key, out);
    return out;
  }

  /**
   * The hottest source lines, as the format records them: none for formats without line data
   * (pstats), own values only for .cpuprofile, never a line 0 standing for "somewhere in this
   * function or binary".
   */
  topLines(by: 'own' | 'total', limit = Infinity): { rows: LineRow[]; count: number } {
    if (this.lineData === 'none') return { rows: [], count: 0 };
    const p = this.profile;
    const ownOnly = this.lineData === 'own';
    const sortBy = ownOnly ? 'own' : by;
    const ids = this.agg.topLines(sortBy, Infinity, (id) => id < this.lines && p.lineNo[id] > 0 && (!ownOnly || this.agg.lineOwn[id] !== 0));
    this.index();
    const rows = ids.slice(0, limit).map((id) => {
      const c: LineCost = { own: 0, total: 0, lineIds: [id], funcId: -1, funcIds: this.lineFuncs!.get(id) ?? [] };
      return {
        file: p.str(p.lineFile[id]),
        line: p.lineNo[id],
        own: this.agg.lineOwn[id],
        total: ownOnly ? this.agg.lineOwn[id] : this.agg.lineTotal[id],
        funcId: this.innermost(c),
      };
    });
    return { rows, count: ids.length };
  }

  /** The hottest functions by own or total value. */
  topFunctions(by: 'own' | 'total', limit = Infinity, filter?: (fn: FunctionRef) => boolean): { rows: FunctionRow[]; count: number } {
    const ids = this.agg.topFunctions(by, Infinity, (id) => id < this.funcs && (!filter || filter(this.fn(id))));
    const rows = ids.slice(0, limit).map((id) => ({ fn: this.fn(id), own: this.agg.funcOwn[id], total: this.agg.funcTotal[id] }));
    return { rows, count: ids.length };
  }
}
