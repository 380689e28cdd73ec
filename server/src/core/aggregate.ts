import type { EdgeTable, Profile, Scope } from './model';

interface ChildIndex {
  nodeCount: number;
  start: Int32Array; // children of n are order[start[n] .. start[n+1])
  order: Int32Array;
}

const childCache = new WeakMap<Profile, ChildIndex>();

function childIndex(p: Profile): ChildIndex {
  const cached = childCache.get(p);
  if (cached && cached.nodeCount === p.nodeCount) return cached;
  const n = p.nodeCount;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const par = p.nodeParent[i];
    if (par >= 0) start[par + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const order = new Int32Array(Math.max(0, n));
  for (let i = 0; i < n; i++) {
    const par = p.nodeParent[i];
    if (par >= 0) order[fill[par]++] = i;
  }
  const idx = { nodeCount: n, start, order };
  childCache.set(p, idx);
  return idx;
}

export interface CallerEntry {
  /** The calling function, and the line of the call inside it. */
  readonly funcId: number;
  readonly lineId: number;
  readonly value: number;
}

export interface CalleeEntry {
  readonly funcId: number;
  readonly value: number;
}

/**
 * Line and function tables for one metric over one scope, derived from the call tree.
 *
 * Guarantees: `lineOwn` sums to the scope total of samples that have frames; every total counts
 * a sample once however many times recursion repeats a line, function or edge in its stack.
 * Callers and callees are taken at a function's outermost occurrence in each sample (recursion
 * merged): a function's callers partition its total (less the samples where it is a root), its
 * callees partition its total less the samples where its outermost occurrence is the leaf.
 */
export class Aggregation {
  readonly total: number;
  readonly lineOwn: Float64Array;
  readonly lineTotal: Float64Array;
  readonly funcOwn: Float64Array;
  readonly funcTotal: Float64Array;
  /** By site edge: the callee's value under that call site, at the callee's outermost occurrence. */
  readonly siteCallerTotal: Float64Array;
  /** By function edge: the callee's value under that caller, at the callee's outermost occurrence. */
  readonly funcCallerTotal: Float64Array;
  /** By function edge: the callee's value above the caller's outermost occurrence. */
  readonly funcCalleeTotal: Float64Array;
  /** By line edge: the callee's value called from that line, once per sample. */
  readonly lineEdgeTotal: Float64Array;
  /** Inclusive value of each call-tree node (0 for nodes outside the scope). */
  readonly nodeTotal: Float64Array;
  readonly threads: readonly number[];

  constructor(
    readonly profile: Profile,
    readonly scope: Scope,
    readonly metric: string,
  ) {
    const p = profile;
    const mi = p.metricIndex(metric);
    // A profile with no samples yet (a live file still in its header) has no metrics: all zero.
    if (mi < 0 && p.metrics.length > 0) throw new Error(`this profile has no metric '${metric}'`);
    const m = p.metricsPerNode;
    const self = p.nodeSelf;
    const { start, order } = childIndex(p);
    const lineOwn = new Float64Array(p.lineCount);
    const lineTotal = new Float64Array(p.lineCount);
    const funcOwn = new Float64Array(p.functionCount);
    const funcTotal = new Float64Array(p.functionCount);
    const siteCallerTotal = new Float64Array(p.siteEdges.count);
    const funcCallerTotal = new Float64Array(p.funcEdges.count);
    const funcCalleeTotal = new Float64Array(p.funcEdges.count);
    const lineEdgeTotal = new Float64Array(p.lineEdges.count);
    const lineActive = new Int32Array(p.lineCount);
    const funcActive = new Int32Array(p.functionCount);
    const lineEdgeActive = new Int32Array(p.lineEdges.count);
    const nodeTotal = new Float64Array(p.nodeCount);
    const { frameLine, frameFunc, nodeFrame, nodeSiteEdge, nodeFuncEdge, nodeLineEdge } = p;

    // Iterative DFS (stacks can be thousands deep). A key's total gets a subtree's sum only at its
    // topmost occurrence on the path, which is what counts each sample once.
    let stackNode = new Int32Array(256);
    let stackNext = new Int32Array(256);
    let stackFlags = new Uint8Array(256);
    let total = 0;
    this.threads = mi < 0 ? [] : p.threadsIn(scope);
    for (const t of this.threads) {
      const root = p.threadRoot[t];
      let sp = 0;
      stackNode[0] = root;
      stackNext[0] = start[root];
      stackFlags[0] = 0;
      nodeTotal[root] = self[root * m + mi];
      while (sp >= 0) {
        const n = stackNode[sp];
        const ci = stackNext[sp];
        if (ci < start[n + 1]) {
          stackNext[sp] = ci + 1;
          const c = order[ci];
          const f = nodeFrame[c];
          let flags = 0;
          if (lineActive[frameLine[f]]++ === 0) flags |= 1;
          if (funcActive[frameFunc[f]]++ === 0) flags |= 2;
          const le = nodeLineEdge[c];
          if (le >= 0 && lineEdgeActive[le]++ === 0) flags |= 4;
          sp++;
          if (sp >= stackNode.length) {
            const cap = stackNode.length * 2;
            const a = new Int32Array(cap); a.set(stackNode); stackNode = a;
            const b = new Int32Array(cap); b.set(stackNext); stackNext = b;
            const d = new Uint8Array(cap); d.set(stackFlags); stackFlags = d;
          }
          stackNode[sp] = c;
          stackNext[sp] = start[c];
          stackFlags[sp] = flags;
          const own = self[c * m + mi];
          nodeTotal[c] = own;
          if (own !== 0) {
            lineOwn[frameLine[f]] += own;
            funcOwn[frameFunc[f]] += own;
          }
          continue;
        }
        // post-visit
        const sum = nodeTotal[n];
        if (sp === 0) {
          total += sum;
          sp--;
          continue;
        }
        const f = nodeFrame[n];
        const flags = stackFlags[sp];
        const li = frameLine[f];
        const fi = frameFunc[f];
        lineActive[li]--;
        funcActive[fi]--;
        if (flags & 1) lineTotal[li] += sum;
        if (flags & 2) funcTotal[fi] += sum;
        const le = nodeLineEdge[n];
        if (le >= 0) {
          lineEdgeActive[le]--;
          if (flags & 4) lineEdgeTotal[le] += sum;
          // the callee's outermost occurrence: this edge is its caller in this sample
          if (flags & 2) {
            siteCallerTotal[nodeSiteEdge[n]] += sum;
            funcCallerTotal[nodeFuncEdge[n]] += sum;
          }
          // the caller's outermost occurrence: this edge is where its time goes
          if (stackFlags[sp - 1] & 2) funcCalleeTotal[nodeFuncEdge[n]] += sum;
        }
        sp--;
        nodeTotal[stackNode[sp]] += sum;
      }
    }
    // A format's own function totals (pstats cumulative times) replace what the tree can derive.
    const recorded = p.functionLevel?.totals.get(metric);
    if (recorded && this.threads.length > 0) {
      funcTotal.fill(0);
      for (const [f, v] of recorded) funcTotal[f] = v;
      funcCallerTotal.fill(0);
      for (const [callee, list] of p.functionLevel!.callers) {
        for (const c of list) {
          const e = p.funcEdges.get(c.funcId, callee);
          if (e !== undefined) funcCallerTotal[e] += c.values.get(metric) ?? 0;
        }
      }
      funcCalleeTotal.set(funcCallerTotal);
    }
    this.total = total;
    this.lineOwn = lineOwn;
    this.lineTotal = lineTotal;
    this.funcOwn = funcOwn;
    this.funcTotal = funcTotal;
    this.siteCallerTotal = siteCallerTotal;
    this.funcCallerTotal = funcCallerTotal;
    this.funcCalleeTotal = funcCalleeTotal;
    this.lineEdgeTotal = lineEdgeTotal;
    this.nodeTotal = nodeTotal;
  }

  /** Percent of the scope total; 0 when the total is 0. */
  percent(value: number): number {
    return this.total === 0 ? 0 : (value / this.total) * 100;
  }

  /** Call sites of a function (calling function and line), hottest first; values partition its total. */
  callers(funcId: number): CallerEntry[] {
    const p = this.profile;
    const out: CallerEntry[] = [];
    if (p.functionLevel?.totals.has(this.metric)) {
      for (const c of p.functionLevel.callers.get(funcId) ?? []) {
        const value = c.values.get(this.metric) ?? 0;
        if (value !== 0 && this.threads.length > 0) out.push({ funcId: c.funcId, lineId: c.lineId, value });
      }
      return out.sort((a, b) => b.value - a.value);
    }
    const t = p.siteEdges;
    forEdges(edgeIndex(p, 'site', 'callee'), funcId, (e) => {
      const v = this.siteCallerTotal[e];
      if (v) out.push({ funcId: p.siteFunc[t.caller[e]], lineId: p.siteLine[t.caller[e]], value: v });
    });
    return out.sort((a, b) => b.value - a.value);
  }

  /** Calling functions of a function (all their call sites together), hottest first. */
  functionCallers(funcId: number): CalleeEntry[] {
    const out: CalleeEntry[] = [];
    const t = this.profile.funcEdges;
    forEdges(edgeIndex(this.profile, 'func', 'callee'), funcId, (e) => {
      const v = this.funcCallerTotal[e];
      if (v) out.push({ funcId: t.caller[e], value: v });
    });
    return out.sort((a, b) => b.value - a.value);
  }

  /** Functions called directly by `funcId`, hottest first. */
  callees(funcId: number): CalleeEntry[] {
    const out: CalleeEntry[] = [];
    const t = this.profile.funcEdges;
    forEdges(edgeIndex(this.profile, 'func', 'caller'), funcId, (e) => {
      const v = this.funcCalleeTotal[e];
      if (v) out.push({ funcId: t.callee[e], value: v });
    });
    return out.sort((a, b) => b.value - a.value);
  }

  /** Functions called directly from a line, hottest first. */
  lineCallees(lineId: number): CalleeEntry[] {
    const out: CalleeEntry[] = [];
    const t = this.profile.lineEdges;
    forEdges(edgeIndex(this.profile, 'line', 'caller'), lineId, (e) => {
      const v = this.lineEdgeTotal[e];
      if (v) out.push({ funcId: t.callee[e], value: v });
    });
    return out.sort((a, b) => b.value - a.value);
  }

  /** Whether some sample calls `funcId` from line `lineId`. */
  callsFrom(lineId: number, funcId: number): boolean {
    return this.profile.lineEdges.get(lineId, funcId) !== undefined;
  }

  /** A line's own and total split by thread, in the order of the profile's threads. */
  lineByThread(lineId: number): { thread: number; own: number; total: number }[] {
    const p = this.profile;
    const m = p.metricsPerNode;
    const mi = p.metricIndex(this.metric);
    const inScope = new Set(this.threads);
    const own = new Map<number, number>();
    const tot = new Map<number, number>();
    const nodes = Math.min(p.nodeCount, this.nodeTotal.length);
    for (let n = 0; n < nodes; n++) {
      const f = p.nodeFrame[n];
      if (f < 0 || p.frameLine[f] !== lineId) continue;
      const t = p.nodeThread[n];
      if (!inScope.has(t)) continue;
      own.set(t, (own.get(t) ?? 0) + p.nodeSelf[n * m + mi]);
      let a = p.nodeParent[n];
      let topmost = true;
      while (a >= 0) {
        const af = p.nodeFrame[a];
        if (af >= 0 && p.frameLine[af] === lineId) {
          topmost = false;
          break;
        }
        a = p.nodeParent[a];
      }
      if (topmost) tot.set(t, (tot.get(t) ?? 0) + this.nodeTotal[n]);
    }
    return [...tot.keys()]
      .sort((a, b) => a - b)
      .map((t) => ({ thread: t, own: own.get(t) ?? 0, total: tot.get(t) ?? 0 }));
  }

  /** Line ids with a non-zero total, hottest first by `by`. */
  topLines(by: 'own' | 'total' = 'own', limit = Infinity, filter?: (lineId: number) => boolean): number[] {
    return topIds(by === 'own' ? this.lineOwn : this.lineTotal, by === 'own' ? this.lineTotal : this.lineOwn, limit, filter);
  }

  topFunctions(by: 'own' | 'total' = 'own', limit = Infinity, filter?: (funcId: number) => boolean): number[] {
    return topIds(by === 'own' ? this.funcOwn : this.funcTotal, by === 'own' ? this.funcTotal : this.funcOwn, limit, filter);
  }
}

function topIds(primary: Float64Array, secondary: Float64Array, limit: number, filter?: (id: number) => boolean): number[] {
  const ids: number[] = [];
  for (let i = 0; i < primary.length; i++) {
    if ((primary[i] !== 0 || secondary[i] !== 0) && (!filter || filter(i))) ids.push(i);
  }
  ids.sort((a, b) => primary[b] - primary[a] || secondary[b] - secondary[a] || a - b);
  return ids.length > limit ? ids.slice(0, limit) : ids;
}

/** Edges grouped by one end, as compressed rows (typed arrays, no per-key allocation). */
interface EdgeIndex {
  edges: number;
  start: Int32Array;
  order: Int32Array;
}

const edgeIndexes = new WeakMap<Profile, Map<string, EdgeIndex>>();

function edgeIndex(p: Profile, table: 'site' | 'func' | 'line', by: 'caller' | 'callee'): EdgeIndex {
  let byKind = edgeIndexes.get(p);
  if (!byKind) edgeIndexes.set(p, (byKind = new Map()));
  const t: EdgeTable = table === 'site' ? p.siteEdges : table === 'func' ? p.funcEdges : p.lineEdges;
  const kind = `${table}:${by}`;
  const hit = byKind.get(kind);
  if (hit && hit.edges === t.count) return hit;
  const keys = by === 'caller' ? t.caller : t.callee;
  let max = -1;
  for (let e = 0; e < t.count; e++) if (keys[e] > max) max = keys[e];
  const start = new Int32Array(max + 2);
  for (let e = 0; e < t.count; e++) start[keys[e] + 1]++;
  for (let i = 0; i <= max; i++) start[i + 1] += start[i];
  const fill = start.slice(0, max + 1);
  const order = new Int32Array(t.count);
  for (let e = 0; e < t.count; e++) order[fill[keys[e]]++] = e;
  const idx = { edges: t.count, start, order };
  byKind.set(kind, idx);
  return idx;
}

/** Calls `fn` with each edge of `id`; edges added after an aggregation read as undefined (no value), never as 0. */
function forEdges(idx: EdgeIndex, id: number, fn: (edge: number) => void): void {
  if (id < 0 || id + 1 >= idx.start.length) return;
  for (let i = idx.start[id]; i < idx.start[id + 1]; i++) fn(idx.order[i]);
}

const aggCache = new WeakMap<Profile, Map<string, { version: number; agg: Aggregation }>>();

/** The aggregation for a scope and metric, memoised until the profile changes. */
export function aggregate(profile: Profile, scope: Scope = {}, metric = profile.defaultMetric()): Aggregation {
  let byKey = aggCache.get(profile);
  if (!byKey) aggCache.set(profile, (byKey = new Map()));
  const key = `${scope.pid ?? ''}\u0000${scope.thread ?? ''}\u0000${metric}`;
  const hit = byKey.get(key);
  if (hit && hit.version === profile.version) return hit.agg;
  const agg = new Aggregation(profile, scope, metric);
  byKey.set(key, { version: profile.version, agg });
  return agg;
}
