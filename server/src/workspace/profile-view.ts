/**
 * One profile seen through one metric and scope, frozen at one moment: the aggregation plus
 * everything requests derive from it (per-document line tables, caller lists, per-thread
 * splits), each computed once and cached for the life of the view. A growing profile gets a new
 * view at most once per refresh interval, so requests never pay for re-aggregation.
 */
import * as nodePath from 'node:path';
import { type Aggregation, aggregate } from '../core/aggregate';
import type { MetricDef, Profile, Scope } from '../core/model';
import type { PathResolver } from '../core/path-resolver';
import type { CostContext } from '../core/present';
import { META } from '../core/readers/meta-keys';
import type { ProfileEntry } from './profile-store';

const K26 = 67108864;

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

export interface FunctionCost {
  readonly funcId: number;
  readonly name: string;
  readonly own: number;
  readonly total: number;
  /** 1-based definition line recorded by the format, 0 when it records none. */
  readonly defLine: number;
  /** 1-based line (of the base text) with the highest total inside this function. */
  readonly hotLine: number;
}

export interface DocumentCosts {
  /** 1-based line of the text the profile saw -> costs. */
  readonly lines: Map<number, LineCost>;
  /** What the format records per line; with 'own', `total` of a line is its own value. */
  readonly lineData: LineData;
  /** Functions of this file with data, hottest first. */
  readonly functions: FunctionCost[];
  readonly recorded: string[];
}

/**
 * What a format records per line: everything (Austin, MOJO, pprof, ...), only own values
 * (.cpuprofile positionTicks: no call-site lines, so no line totals), or nothing (pstats).
 * Features show what is there and never invent the rest.
 */
export type LineData = 'full' | 'own' | 'none';

export function lineDataOf(profile: Profile): LineData {
  if (profile.meta.get(META.lineOwn) === 'none') return 'none';
  if (profile.meta.get(META.lineTotals) === 'none') return 'own';
  return 'full';
}

export function scopeLabel(profile: Profile, scope: Scope): string {
  if (scope.thread !== undefined) {
    const t = profile.threads[scope.thread];
    return t ? `thread ${t.label} (process ${t.pid})` : `thread #${scope.thread}`;
  }
  if (scope.pid !== undefined) return `process ${scope.pid}`;
  return 'all threads';
}

let nextId = 1;

export class ProfileView {
  readonly id = nextId++;
  readonly ctx: CostContext;
  readonly profile: Profile;
  readonly metric: MetricDef;
  /** Profile version the aggregation reflects. */
  readonly version: number;
  /** Sizes of the profile's tables when the view was made (later entries have no aggregate). */
  private readonly lines: number;
  private readonly funcs: number;
  private byFile: Map<string, { lines: number[]; funcs: number[] }> | undefined;
  private lineFuncs: Map<number, number[]> | undefined;
  private lineEdgeKeys: Set<number> | undefined;
  private local: { gen: number; map: Map<string, string[]> } | undefined;
  private readonly docs = new Map<string, { gen: number; costs: DocumentCosts | undefined }>();
  private callerMap: Map<number, { funcId: number; value: number }[]> | undefined;
  private readonly threadSplits = new Map<string, { label: string; own: number; total: number }[]>();

  constructor(
    readonly entry: ProfileEntry,
    readonly agg: Aggregation,
    readonly scope: Scope,
  ) {
    this.profile = agg.profile;
    this.version = this.profile.version;
    this.metric = this.profile.metrics[this.profile.metricIndex(agg.metric)];
    this.lines = agg.lineTotal.length;
    this.funcs = agg.funcTotal.length;
    this.ctx = {
      metricLabel: this.metric.label,
      unit: this.metric.unit,
      scopeTotal: agg.total,
      scopeLabel: scopeLabel(this.profile, scope),
      profileName: nodePath.basename(entry.path),
    };
  }

  static create(entry: ProfileEntry, profile: Profile, metric: string, scope: Scope): ProfileView {
    return new ProfileView(entry, aggregate(profile, scope, metric), scope);
  }

  private index(): Map<string, { lines: number[]; funcs: number[] }> {
    if (this.byFile) return this.byFile;
    const p = this.profile;
    const m = new Map<string, { lines: number[]; funcs: number[] }>();
    const slot = (file: string) => {
      let s = m.get(file);
      if (!s) m.set(file, (s = { lines: [], funcs: [] }));
      return s;
    };
    for (let i = 0; i < this.lines; i++) if (this.agg.lineTotal[i] > 0) slot(p.str(p.lineFile[i])).lines.push(i);
    for (let f = 0; f < this.funcs; f++) if (this.agg.funcTotal[f] > 0 && p.funcKind[f] === 'source') slot(p.str(p.funcFile[f])).funcs.push(f);
    // line -> the functions executing it, from the call sites
    const lf = new Map<number, number[]>();
    for (let site = 0; site < p.siteFunc.length; site++) {
      const l = p.siteLine[site];
      if (l >= this.lines || !(this.agg.lineTotal[l] > 0)) continue;
      const list = lf.get(l);
      if (list) list.push(p.siteFunc[site]);
      else lf.set(l, [p.siteFunc[site]]);
    }
    this.lineFuncs = lf;
    this.byFile = m;
    return m;
  }

  /** Recorded paths that map to a local file. */
  recordedFor(localPath: string, resolver: PathResolver, gen: number): string[] {
    const byFile = this.index();
    if (this.local?.gen !== gen) {
      this.local = { gen, map: resolver.mapFiles(byFile.keys(), nodePath.dirname(this.entry.path)) };
    }
    const hit = this.local.map.get(localPath);
    if (hit) return hit;
    // A file outside the workspace that the user opened matches by its exact absolute path.
    return byFile.has(localPath) ? [localPath] : [];
  }

  /** Line and function costs of one local file, or undefined when the profile never touches it. */
  costs(localPath: string, resolver: PathResolver, gen: number): DocumentCosts | undefined {
    const hit = this.docs.get(localPath);
    if (hit && hit.gen === gen) return hit.costs;
    const costs = this.computeCosts(this.recordedFor(localPath, resolver, gen));
    this.docs.set(localPath, { gen, costs });
    return costs;
  }

  private computeCosts(recorded: string[]): DocumentCosts | undefined {
    if (recorded.length === 0) return undefined;
    const p = this.profile;
    const { lineOwn, lineTotal, funcOwn, funcTotal } = this.agg;
    const byFile = this.index();
    const lines = new Map<number, LineCost>();
    const functions: FunctionCost[] = [];
    const funcIds = new Set<number>();
    const lineData = lineDataOf(p);
    for (const file of recorded) {
      const s = byFile.get(file);
      if (!s) continue;
      for (const id of lineData === 'none' ? [] : s.lines) {
        // Without line totals in the format, a non-leaf frame's line is its function's definition,
        // not a call site: only the own values are real line data.
        if (lineData === 'own' && !(lineOwn[id] > 0)) continue;
        const n = p.lineNo[id];
        if (n <= 0) continue;
        const fs = this.lineFuncs!.get(id) ?? [];
        const c = lines.get(n);
        if (c) {
          c.own += lineOwn[id];
          c.total += lineData === 'own' ? lineOwn[id] : lineTotal[id];
          c.lineIds.push(id);
          for (const f of fs) if (!c.funcIds.includes(f)) c.funcIds.push(f);
        } else {
          lines.set(n, { own: lineOwn[id], total: lineData === 'own' ? lineOwn[id] : lineTotal[id], lineIds: [id], funcId: -1, funcIds: [...fs] });
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
    for (const f of funcIds) {
      functions.push({
        funcId: f,
        name: p.str(p.funcName[f]),
        own: funcOwn[f],
        total: funcTotal[f],
        defLine: p.funcDefLine[f] ?? 0,
        hotLine: hot.get(f)?.line ?? 0,
      });
    }
    functions.sort((a, b) => b.total - a.total || a.funcId - b.funcId);
    return { lines, lineData, functions, recorded };
  }

  /** Of the functions at a line, the one the others call from that line (a comprehension inside its def). */
  private innermost(c: LineCost): number {
    if (c.funcIds.length <= 1) return c.funcIds[0] ?? -1;
    if (!this.lineEdgeKeys) this.lineEdgeKeys = new Set(this.profile.lineEdgeKey);
    const called = c.funcIds.filter((f) => c.lineIds.some((l) => this.lineEdgeKeys!.has(l * K26 + f)));
    return called.length > 0 ? called[called.length - 1] : c.funcIds[0];
  }

  /** Callers of a function grouped by calling function (once per sample), hottest first. */
  functionCallers(funcId: number): { funcId: number; value: number }[] {
    if (!this.callerMap) {
      const m = new Map<number, { funcId: number; value: number }[]>();
      const keys = this.profile.funcEdgeKey;
      const totals = this.agg.funcEdgeTotal;
      for (let e = 0; e < totals.length; e++) {
        const v = totals[e];
        if (!(v > 0)) continue;
        const callee = keys[e] % K26;
        const caller = Math.floor(keys[e] / K26);
        let list = m.get(callee);
        if (!list) m.set(callee, (list = []));
        list.push({ funcId: caller, value: v });
      }
      for (const list of m.values()) list.sort((a, b) => b.value - a.value);
      this.callerMap = m;
    }
    return this.callerMap.get(funcId) ?? [];
  }

  /** Call sites of `funcId` (caller function and line), hottest first. */
  callSites(funcId: number): { funcId: number; lineId: number; value: number }[] {
    return this.agg.callers(funcId).filter((c) => c.value > 0 && c.lineId < this.lines);
  }

  /** Own and total of a line per thread of the scope, when the scope has several threads; hottest first. */
  lineThreads(lineIds: readonly number[]): { label: string; own: number; total: number }[] {
    if (this.agg.threads.length <= 1) return [];
    const key = lineIds.join(',');
    const hit = this.threadSplits.get(key);
    if (hit) return hit;
    const by = new Map<number, { own: number; total: number }>();
    for (const id of lineIds) {
      if (id >= this.lines) continue;
      for (const t of this.agg.lineByThread(id)) {
        // nodes added after the view was made have no aggregate yet
        if (!Number.isFinite(t.total) || !Number.isFinite(t.own)) continue;
        const b = by.get(t.thread) ?? { own: 0, total: 0 };
        b.own += t.own;
        b.total += t.total;
        by.set(t.thread, b);
      }
    }
    const out = [...by]
      .filter(([, v]) => v.total > 0)
      .map(([t, v]) => {
        const th = this.profile.threads[t];
        return { label: `${th.label} (process ${th.pid})`, own: v.own, total: v.total };
      })
      .sort((a, b) => b.total - a.total);
    this.threadSplits.set(key, out);
    return out;
  }

  /** Recorded file and name of a function. */
  functionAt(funcId: number): { file: string; name: string } {
    const f = this.profile.functionAt(funcId);
    return { file: f.file, name: f.name };
  }
}
